"""The quality gate: a clearly worse model is kept but not activated, with the reason."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from personalization_plugin.engine import gate
from personalization_plugin.engine.training import train
from personalization_plugin.models import ModelVersion

from .conftest import planted_rows, store_events

pytestmark = pytest.mark.django_db


def test_a_model_within_the_tolerance_is_activated():
    d = gate.decide({"ndcg@10": 0.96}, {"ndcg@10": 1.0}, tolerance=0.05)
    assert d.activate and d.reason == "not_worse"


def test_a_model_below_the_tolerance_is_refused_with_both_figures():
    d = gate.decide({"ndcg@10": 0.90}, {"ndcg@10": 1.0}, active_version="v1", tolerance=0.05)
    assert not d.activate and d.reason == "worse"
    assert (d.new, d.active, d.active_version) == (0.90, 1.0, "v1")
    assert "more than 5% below" in d.describe()


def test_missing_figures_never_block_a_model():
    assert gate.decide({}, {"ndcg@10": 0.5}).reason == "no_metric"
    assert gate.decide({"ndcg@10": 0.5}, {}).reason == "active_has_no_metric"
    assert gate.decide({"ndcg@10": 0.5}, None).reason == "first_model"


@pytest.fixture
def strong_active_model(db):
    store_events(planted_rows(n_users=20))
    first = train(search=False)
    # the active model claims a figure no retrain can reach
    ModelVersion.objects.filter(pk=first.pk).update(metrics={**first.metrics, "ndcg@10": 1.0})
    return first


def test_training_keeps_a_worse_model_inactive_and_stores_why(strong_active_model):
    second = train(search=False)
    second.refresh_from_db()
    assert not second.is_active
    assert second.metrics["gate"]["reason"] == "worse"
    assert second.metrics["gate"]["active_version"] == strong_active_model.version
    assert ModelVersion.objects.get(is_active=True) == strong_active_model


def test_force_activates_a_worse_model(strong_active_model):
    second = train(search=False, force=True)
    second.refresh_from_db()
    assert second.is_active and second.metrics["gate"]["reason"] == "forced"


def test_train_command_says_the_model_was_not_activated(strong_active_model):
    out = StringIO()
    call_command("personalization_train", "--no-progress", "--no-search", stdout=out)
    assert "not activated" in out.getvalue()
    assert ModelVersion.objects.get(is_active=True) == strong_active_model
