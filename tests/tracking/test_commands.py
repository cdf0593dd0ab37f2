"""personalization_flush and personalization_worker."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from personalization_plugin import track
from personalization_plugin.models import Event

pytestmark = pytest.mark.django_db


def test_flush_command_writes_the_local_buffer(capsys) -> None:
    for i in range(1, 4):
        track("view", visitor_id="v", product_id=str(i))
    call_command("personalization_flush")
    assert "Flushed 3 events (local backend); 0 pending." in capsys.readouterr().out
    assert Event.objects.count() == 3


def test_flush_command_drains_the_redis_stream(use_redis, capsys) -> None:
    track("view", visitor_id="v", product_id="1")
    call_command("personalization_flush")
    assert "Flushed 1 events (redis backend)" in capsys.readouterr().out
    assert Event.objects.count() == 1


def test_worker_flushes_until_max_seconds(use_redis, capsys) -> None:
    for i in range(1, 6):
        track("view", visitor_id="v", product_id=str(i))
    call_command("personalization_worker", "--max-seconds", "0.5", "--interval", "0.1")
    assert "Worker stopped after flushing 5 events; 0 dead-lettered." in capsys.readouterr().out
    assert Event.objects.count() == 5
