"""The owner's dashboard in a real browser, on the seeded demo store with an experiment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from personalization_plugin.admin import charts
from personalization_plugin.experiments.metrics import analyse
from personalization_plugin.experiments.models import Experiment
from personalization_plugin.reports import dashboard as reports
from personalization_plugin.reports import rollups

pytestmark = pytest.mark.browser


def _log_in(page: Any, base: str) -> None:
    page.goto(base + "/admin/login/")
    page.fill('input[name="username"]', "admin")
    page.fill('input[name="password"]', "admin")
    page.click('button[type="submit"]')
    page.wait_for_url(base + "/admin/")


def test_dashboard_and_experiment_results_render_with_demo_data(
    seeded_store: Any,
    page: Any,
    artifacts: Path,
) -> None:
    call_command(
        "personalization_demo_experiment", days=14, sessions=4, stdout=open("/dev/null", "w")
    )
    experiment = Experiment.objects.get(status="running")
    base = seeded_store.url
    _log_in(page, base)
    assert page.locator(".sp-home-panel").count() == 1
    page.screenshot(path=str(artifacts / "admin-home.png"), full_page=True)

    page.set_viewport_size({"width": 1280, "height": 1700})  # the admin scrolls inside its own pane
    page.goto(base + "/admin/personalization/")
    page.wait_for_selector("#sp-events svg polyline")
    assert page.locator("svg.sp-chart").count() >= 5
    assert page.locator("#sp-ctr svg rect[fill]").count() >= 1  # the for_you CTR bar
    assert "No data yet" not in page.locator("#sp-revenue").inner_text()
    page.screenshot(path=str(artifacts / "admin-dashboard.png"), full_page=True)
    # Every headline figure covers the chosen period: the same numbers the events give.
    for days in (7, 30, 90):
        page.goto(base + f"/admin/personalization/?days={days}")
        figures = [s.inner_text() for s in page.locator("#sp-headline strong").all()]
        period = rollups.period(days)
        assert figures[0] == f"{reports.data_health(days, period).events:,}"
        assert figures[1] == f"{period.people:,}"
        assert figures[2] == charts.money(period.total_revenue, "EUR")
        assert figures[3] == charts.money(period.attributed_revenue, "EUR")
        assert "not rolled up yet" not in page.content()

    page.goto(base + f"/admin/personalization/experiments/{experiment.pk}/results/")
    # The page's decision is the statistics' decision, in words, and no p-value shows
    # before the planned sample is in.
    result = analyse(experiment)
    decision = page.locator("#sp-decision")
    assert decision.get_attribute("data-decision") == result.decision
    if result.decision == "collecting":
        assert f"{result.people:,} of {result.planned_visitors:,} visitors" in decision.inner_text()
    assert page.locator("#sp-results tbody tr").count() == 7  # five metrics, two revenues
    assert "e-" not in page.locator("#sp-results").inner_text()
    page.screenshot(path=str(artifacts / "admin-experiment.png"), full_page=True)

    page.goto(base + "/admin/personalization/rules/new/")
    page.screenshot(path=str(artifacts / "admin-rule-form.png"), full_page=True)
    page.goto(base + "/admin/settings/personalization/personalizationsettings/")
    page.screenshot(path=str(artifacts / "admin-settings.png"), full_page=True)
    page.goto(base + "/admin/personalization/models/")
    assert page.locator("text=Train now").count() == 1
    page.screenshot(path=str(artifacts / "admin-models.png"), full_page=True)
