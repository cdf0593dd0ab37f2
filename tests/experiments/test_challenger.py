"""A challenger arm is served by another trained model version, the rest by the active one."""

from __future__ import annotations

import os

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from personalization_plugin.engine import registry
from personalization_plugin.engine.training import train
from personalization_plugin.experiments.models import Experiment
from personalization_plugin.models import Event
from personalization_plugin.serving import clear_caches, recommend
from personalization_plugin.tracking.identity import Visitor

from .factories import running_experiment

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_versions(settings, tmp_path):
    """A seeded store with two trained versions; the older one is active again."""
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "MODEL_DIR": str(tmp_path / "models")}
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", products=30, shoppers=40, events=1500, seed=5, stdout=quiet)
    first = train()
    second = train()
    registry.rollback()
    clear_caches()
    yield first, second
    clear_caches()


def _served_version(experiment, arm: str) -> str:
    from personalization_plugin.experiments.bucketing import arm_name

    shoppers = Event.objects.filter(type="purchase").values_list("visitor_id", "customer_id")
    for visitor_id, customer_id in shoppers.distinct():
        if arm_name(experiment.pk, visitor_id, experiment.holdout_percent) == arm:
            visitor = Visitor(visitor_id=visitor_id, customer_id=customer_id, consent="granted")
            return recommend("for_you", visitor=visitor, limit=4).model_version
    raise AssertionError(f"no shopper in the {arm} arm")


def test_challenger_arm_is_served_by_the_challenger_version(two_versions):
    first, second = two_versions
    experiment = running_experiment(
        control_strategy="personalized",
        treatment_strategy="challenger",
        challenger_version=second.version,
    )
    assert _served_version(experiment, "control") == first.version
    assert _served_version(experiment, "treatment") == second.version


def test_an_unloadable_challenger_falls_back_to_the_active_model(two_versions):
    first, second = two_versions
    experiment = running_experiment(
        control_strategy="personalized", treatment_strategy="challenger", challenger_version="gone"
    )
    assert _served_version(experiment, "treatment") == first.version


def test_a_challenger_experiment_needs_an_existing_version():
    experiment = Experiment(
        name="x",
        placement="for_you",
        control_strategy="personalized",
        treatment_strategy="challenger",
    )
    with pytest.raises(ValidationError, match="Name the model version"):
        experiment.full_clean()
    experiment.challenger_version = "nope"
    with pytest.raises(ValidationError, match="No trained model version is called 'nope'"):
        experiment.full_clean()
