"""The database goes away during a flush: events stay buffered (in-process buffer or the
Redis stream's pending entries), a later flush stores them, none lost, none duplicated.

The outage is real: the event table is renamed away inside the test's transaction, so
the flush's INSERT fails in the database itself; renaming it back ends the outage.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from personalization_plugin import track
from personalization_plugin.core.redis import key
from personalization_plugin.models import Event
from personalization_plugin.tracking.backends import get_backend, get_local_backend


@contextmanager
def event_table_gone() -> Iterator[None]:
    table = Event._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} RENAME TO {table}_away")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table}_away RENAME TO {table}")


def failing_flush() -> None:
    """Flush inside a savepoint, so the failed statement does not poison the test's transaction."""
    with pytest.raises(DatabaseError), transaction.atomic():
        get_backend().flush()


def record_views(catalog: list[Any], visitor_id: str, n: int) -> int:
    for i in range(n):
        track("view", visitor_id=visitor_id, product_id=str(catalog[i % len(catalog)].pk))
    return n


def test_local_buffer_keeps_events_through_a_failed_flush(catalog: list[Any]) -> None:
    sent = record_views(catalog, "db-outage-local", 25)
    with event_table_gone():
        failing_flush()
        assert get_local_backend().pending() == sent, "the batch went back to the buffer"
        sent += record_views(catalog, "db-outage-local", 5)  # tracking goes on meanwhile
    written = get_backend().flush()
    assert written == sent == 30
    stored = Event.objects.filter(visitor_id="db-outage-local")
    assert stored.count() == 30
    assert stored.values("event_id").distinct().count() == 30
    assert get_backend().pending() == 0


def test_redis_stream_keeps_events_through_a_failed_flush(
    own_redis: Any, catalog: list[Any]
) -> None:
    sent = record_views(catalog, "db-outage-redis", 40)
    assert own_redis.client().xlen(key("events")) == 40
    with event_table_gone():
        failing_flush()
        pending = own_redis.client().xpending(key("events"), "flushers")
        assert pending["pending"] == 40, "read but unacknowledged: still in the stream"
    get_backend().flush()
    stored = Event.objects.filter(visitor_id="db-outage-redis")
    assert stored.count() == sent
    assert stored.values("event_id").distinct().count() == sent
    assert own_redis.client().xlen(key("events")) == 0


def test_a_repeated_flush_after_an_outage_stores_nothing_twice(
    own_redis: Any, catalog: list[Any]
) -> None:
    record_views(catalog, "db-outage-twice", 12)
    with event_table_gone():
        failing_flush()
        failing_flush()
    get_backend().flush()
    get_backend().flush()
    assert Event.objects.filter(visitor_id="db-outage-twice").count() == 12
