"""`personalization_demo_experiment`: simulated experiment traffic for the demo store."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from personalization_plugin.experiments.models import Experiment
from personalization_plugin.models import Event

from .factories import event, running_experiment

pytestmark = pytest.mark.django_db


def test_if_none_leaves_an_existing_experiment_and_its_events_alone() -> None:
    running_experiment()
    Event.objects.bulk_create([event("view", "v1")])
    out = io.StringIO()
    call_command("personalization_demo_experiment", if_none=True, stdout=out)
    assert "nothing simulated" in out.getvalue()
    assert Experiment.objects.count() == 1
    assert Event.objects.count() == 1


def test_without_stored_views_it_says_to_seed_first() -> None:
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("personalization_demo_experiment", if_none=True, stdout=io.StringIO())
