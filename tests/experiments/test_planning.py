"""The fixed horizon: planned from the history before the start, else the baseline rate."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from personalization_plugin.experiments.metrics import analyse
from personalization_plugin.experiments.models import Experiment
from personalization_plugin.experiments.planning import MIN_PEOPLE, plan
from personalization_plugin.experiments.statistics import planned_sample_size, rate_variance
from personalization_plugin.models import Event

from .factories import event, running_experiment

pytestmark = pytest.mark.django_db


def _history(people: int, buyers: int, days_before_start: int = 5) -> None:
    at = timezone.now() - timedelta(days=10 + days_before_start)  # factories start 10 days ago
    rows = [event("view", f"h{i}", at=at) for i in range(people)]
    rows += [
        event("purchase", f"h{i}", price="20.00", order_id=f"o{i}", at=at) for i in range(buyers)
    ]
    Event.objects.bulk_create(rows)


def test_the_plan_comes_from_the_conversion_before_the_start():
    _history(200, 30)
    experiment = running_experiment(holdout_percent=20, minimum_detectable_effect=10)
    converted = np.r_[np.ones(30), np.zeros(170)]
    expected = planned_sample_size(converted.mean(), converted.var(ddof=1), 0.10, 0.2)
    assert plan(experiment) == expected


def test_too_little_history_falls_back_to_the_baseline_rate():
    _history(MIN_PEOPLE - 1, 10)
    experiment = running_experiment(holdout_percent=50, baseline_rate=0.05)
    assert plan(experiment) == planned_sample_size(0.05, rate_variance(0.05), 0.10, 0.5)
    experiment.baseline_rate = None
    assert plan(experiment) is None


def test_a_running_experiment_without_a_plan_gets_one_stored_once():
    experiment = running_experiment(baseline_rate=0.05)
    assert experiment.planned_visitors is None
    result = analyse(experiment)
    assert result.planned_visitors == planned_sample_size(0.05, rate_variance(0.05), 0.10, 0.5)
    assert Experiment.objects.get(pk=experiment.pk).planned_visitors == result.planned_visitors
