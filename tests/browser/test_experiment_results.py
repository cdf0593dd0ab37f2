"""The experiment page in a real browser, on the demo store: what it shows is what the
statistics give from the events (the full event scan), also right after new traffic.

The page reads its per-person roll-up; this test compares it with `analyse(scan=True)`,
the analysis straight from the events, so a roll-up that missed or double-counted anyone
would show different figures or a different decision.
"""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from personalization_plugin.admin.experiment_views import metric_rows
from personalization_plugin.experiments.metrics import analyse
from personalization_plugin.experiments.models import Experiment
from personalization_plugin.models import Event

pytestmark = pytest.mark.browser


def _log_in(page: Any, base: str) -> None:
    page.goto(base + "/admin/login/")
    page.fill('input[name="username"]', "admin")
    page.fill('input[name="password"]', "admin")
    page.click('button[type="submit"]')
    page.wait_for_url(base + "/admin/")


def _shows_the_scan(page: Any, experiment: Experiment) -> None:
    scanned = analyse(experiment, scan=True)
    decision = page.locator("#sp-decision")
    assert decision.get_attribute("data-decision") == scanned.decision
    if scanned.decision == "collecting":
        expected = f"{scanned.people:,} of {scanned.planned_visitors:,} visitors"
        assert expected in decision.inner_text()
    heading = page.locator("section.sp-card h2", has_text="Results per person").inner_text()
    control, treatment = scanned.control.visitors, scanned.treatment.visitors
    assert f"({control} in control, {treatment} in treatment)" in heading
    for row in metric_rows(scanned):
        cells = page.locator(f'#sp-results tr[data-metric="{row["metric"]}"] td').all()
        assert cells[1].inner_text() == row["control"]
        assert cells[2].inner_text() == row["treatment"]


def test_the_experiment_page_shows_what_the_events_give_before_and_after_new_traffic(
    seeded_store: Any, page: Any, artifacts: Path
) -> None:
    call_command("personalization_demo_experiment", days=14, sessions=4, stdout=io.StringIO())
    experiment = Experiment.objects.get(status="running")
    base = seeded_store.url
    url = base + f"/admin/personalization/experiments/{experiment.pk}/results/"
    _log_in(page, base)
    page.goto(url)
    _shows_the_scan(page, experiment)
    before = analyse(experiment, scan=True).people

    now = timezone.now()
    newcomer = uuid.uuid4().hex
    Event.objects.bulk_create(
        [
            Event(
                event_id=uuid.uuid4().hex,
                type=kind,
                visitor_id=newcomer,
                product_id="1",
                placement="for_you" if kind != "purchase" else "",
                price="19.90" if kind == "purchase" else None,
                currency="EUR" if kind == "purchase" else "",
                order_id="new-order" if kind == "purchase" else "",
                occurred_at=now - timedelta(minutes=1),
            )
            for kind in ("impression", "impression", "click", "purchase")
        ]
    )
    page.goto(url)  # the page recounts the newcomer before it renders
    assert analyse(experiment, scan=True).people == before + 1
    _shows_the_scan(page, experiment)
    page.screenshot(path=str(artifacts / "admin-experiment-live.png"), full_page=True)
