"""personalization_schedule trains once, in the owner's hour."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from personalization_plugin.management.commands.personalization_schedule import training_due
from personalization_plugin.models import ModelVersion, PersonalizationSettings

pytestmark = pytest.mark.django_db


def test_nothing_is_due_without_a_training_hour():
    assert not training_due()


def test_due_in_the_training_hour():
    now = timezone.now()
    PersonalizationSettings.objects.create(training_hour=now.hour)
    assert training_due(now)
    assert not training_due(now + timedelta(hours=1))


def test_not_due_again_after_a_recent_model():
    now = timezone.now()
    PersonalizationSettings.objects.create(training_hour=now.hour)
    ModelVersion.objects.create(version="v1", algorithm="als", path="/x", created_at=now)
    assert not training_due(now)
