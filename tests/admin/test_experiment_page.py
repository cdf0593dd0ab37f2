"""The experiment page and its actions, as the store owner reads and uses them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from wagtail.models import ModelLogEntry

from personalization_plugin.experiments.metrics import analyse
from personalization_plugin.experiments.models import Experiment
from personalization_plugin.experiments.statistics import planned_sample_size, rate_variance
from personalization_plugin.models import Event
from tests.experiments.factories import event, running_experiment, visitors_in

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Home for you",
    "placement": "for_you",
    "control_strategy": "baseline",
    "treatment_strategy": "personalized",
    "holdout_percent": 20,
    "primary_metric": "revenue_per_visitor",
    "minimum_detectable_effect": 10,
    "attribution_days": 7,
}


def _page(client, experiment) -> str:
    return client.get(
        f"/admin/personalization/experiments/{experiment.pk}/results/"
    ).content.decode()


def _people(experiment, arm: str, count: int, prefix: str, buyers: int = 0) -> list[Event]:
    """`count` people of `arm` who saw the placement; the first `buyers` of them ordered."""
    seen = timezone.now() - timedelta(days=2)
    rows = []
    for i, vid in enumerate(visitors_in(experiment, arm, count, prefix)):
        rows += [event("impression", vid, placement="for_you", at=seen) for _ in range(3)]
        if i < buyers:
            order = event("purchase", vid, price="25.00", order_id=f"{vid}-o")
            order.currency = "EUR"
            rows.append(order)
    return rows


def test_the_primary_metric_is_chosen_when_the_experiment_is_created(admin_client_):
    response = admin_client_.post("/admin/personalization/experiments/new/", FORM)
    assert response.status_code == 302
    experiment = Experiment.objects.get()
    assert experiment.status == "draft"
    assert experiment.primary_metric == "revenue_per_visitor"


def test_the_primary_metric_cannot_change_once_started(admin_client_):
    experiment = running_experiment()
    response = admin_client_.post(
        f"/admin/personalization/experiments/edit/{experiment.pk}/",
        {**FORM, "holdout_percent": 50, "primary_metric": "ctr"},
    )
    assert "create a new one to change this" in response.content.decode()
    experiment.refresh_from_db()
    assert experiment.primary_metric == "conversion_rate"


def test_an_experiment_needs_two_different_arms(admin_client_):
    response = admin_client_.post(
        "/admin/personalization/experiments/new/", {**FORM, "treatment_strategy": "baseline"}
    )
    assert "Pick a different strategy" in response.content.decode()


def test_start_without_history_or_baseline_says_what_to_enter(admin_client_):
    experiment = Experiment.objects.create(name="x", placement="for_you")
    response = admin_client_.post(
        f"/admin/personalization/experiments/{experiment.pk}/start/", follow=True
    )
    assert "enter a baseline rate" in response.content.decode()
    experiment.refresh_from_db()
    assert experiment.status == "draft"


def test_start_plans_the_sample_size_then_stop_and_ship(admin_client_):
    experiment = Experiment.objects.create(
        name="x", placement="for_you", baseline_rate=0.04, holdout_percent=20
    )
    base = f"/admin/personalization/experiments/{experiment.pk}"
    admin_client_.post(f"{base}/start/")
    experiment.refresh_from_db()
    assert experiment.status == "running" and experiment.started_at is not None
    assert experiment.planned_visitors == planned_sample_size(0.04, rate_variance(0.04), 0.10, 0.2)
    admin_client_.post(f"{base}/ship/", {"winner": "treatment"})
    experiment.refresh_from_db()
    assert (experiment.status, experiment.winner) == ("shipped", "treatment")
    assert experiment.ended_at is not None
    actions = set(ModelLogEntry.objects.values_list("action", flat=True))
    assert {"personalization.experiment.start", "personalization.experiment.ship"} <= actions


def test_shipping_has_no_default_choice_and_needs_one(admin_client_):
    experiment = running_experiment(planned_visitors=1000)
    Event.objects.bulk_create(
        _people(experiment, "control", 3, "c") + _people(experiment, "treatment", 3, "t")
    )
    html = _page(admin_client_, experiment)
    select = re.search(r'<select id="sp-winner".*?</select>', html, re.S).group(0)
    assert 'value="" selected disabled' in select
    assert select.count("selected") == 1
    response = admin_client_.post(
        f"/admin/personalization/experiments/{experiment.pk}/ship/", follow=True
    )
    assert "Choose the winner to ship" in response.content.decode()
    experiment.refresh_from_db()
    assert experiment.status == "running"


def test_a_second_experiment_cannot_start_on_a_busy_placement(admin_client_):
    running_experiment()
    second = Experiment.objects.create(name="second", placement="for_you", baseline_rate=0.05)
    response = admin_client_.post(
        f"/admin/personalization/experiments/{second.pk}/start/", follow=True
    )
    assert "already runs on this placement" in response.content.decode()
    second.refresh_from_db()
    assert second.status == "draft"


def test_an_empty_experiment_shows_only_what_to_do_next(admin_client_):
    experiment = Experiment.objects.create(name="x", placement="for_you")
    html = _page(admin_client_, experiment)
    assert 'data-decision="empty"' in html
    assert "Start the experiment to begin" in html
    assert 'id="sp-results"' not in html
    assert "z = " not in html and "n = 0" not in html


def test_a_running_experiment_nobody_saw_offers_no_winner_to_ship(admin_client_):
    experiment = running_experiment(planned_visitors=500)
    html = _page(admin_client_, experiment)
    assert 'data-decision="empty"' in html
    assert "results appear once people see it" in html
    assert "Stop and ship" not in html and 'name="winner"' not in html
    assert 'id="sp-results"' not in html


def test_before_the_planned_size_it_says_not_enough_data_and_hides_p_values(admin_client_):
    experiment = running_experiment(planned_visitors=500)
    Event.objects.bulk_create(
        _people(experiment, "control", 10, "c", buyers=1)
        + _people(experiment, "treatment", 10, "t", buyers=9)
    )
    html = _page(admin_client_, experiment)
    assert "Not enough data yet: 20 of 500 visitors" in html
    assert "shown after 500 visitors" in html
    assert "significant" not in html.split('id="sp-results"')[1]
    assert "Treatment is better" not in html


def test_at_the_planned_size_the_decision_matches_the_statistics(admin_client_):
    experiment = running_experiment(planned_visitors=40)
    Event.objects.bulk_create(
        _people(experiment, "control", 20, "c", buyers=2)
        + _people(experiment, "treatment", 20, "t", buyers=18)
    )
    result = analyse(experiment)
    assert result.horizon_reached and result.primary.significant
    html = _page(admin_client_, experiment)
    assert 'data-decision="treatment_better"' in html
    assert "Treatment is better on the primary metric, conversion rate: +800.0%" in html
    assert "95% interval" in html
    row = re.search(r'<tr data-metric="conversion_rate">.*?</tr>', html, re.S).group(0)
    assert "+800.0%" in row and "&lt; 0.001" in row and "(primary)" in row
    assert "€" in html  # money carries the store's currency
    assert "e-" not in row  # no 3.3088535776867584e-221


def test_a_broken_split_warns_loudly_and_hides_the_result(admin_client_):
    experiment = running_experiment(planned_visitors=40, holdout_percent=50)
    Event.objects.bulk_create(
        _people(experiment, "control", 60, "c", buyers=30)
        + _people(experiment, "treatment", 8, "t", buyers=1)
    )
    html = _page(admin_client_, experiment)
    assert 'data-decision="mismatch"' in html and 'role="alert"' in html
    assert "Do not use these results: the split is broken" in html
    assert "not shown: the split is broken" in html
