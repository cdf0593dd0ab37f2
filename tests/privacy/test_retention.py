"""Retention: old events are purged in batches; newer ones stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from personalization_plugin import track
from personalization_plugin.models import Event
from personalization_plugin.privacy.retention import purge_events
from personalization_plugin.tracking.backends import get_backend

pytestmark = pytest.mark.django_db


def seed(days_ago: int, n: int) -> None:
    when = timezone.now() - timedelta(days=days_ago)
    for i in range(n):
        track("view", visitor_id=f"v{i}", product_id="1", occurred_at=when, validate_products=False)
    get_backend().flush()


def test_purge_deletes_only_events_older_than_retention(personalization) -> None:
    personalization(RETENTION_DAYS=30)
    seed(40, 7)
    seed(10, 3)
    assert purge_events(batch_size=2) == 7
    assert Event.objects.count() == 3


def test_purge_command_reports_the_count(capsys) -> None:
    seed(400, 4)
    call_command("personalization_purge")
    assert "Deleted 4 events older than 365 days" in capsys.readouterr().out


def test_purge_command_days_override(capsys) -> None:
    seed(5, 2)
    call_command("personalization_purge", "--days", "1")
    assert Event.objects.count() == 0


def test_purge_refuses_non_positive_days() -> None:
    with pytest.raises(ValueError, match="positive number of days"):
        purge_events(days=0)
