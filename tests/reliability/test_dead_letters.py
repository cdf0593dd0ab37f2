"""One hostile event among many: the database refuses it, everything else is stored.

The hostile event is put into the buffer as it is (as an event buffered by an older
version, or a stream entry written by hand, would be), past today's validation, so the
flush's own isolation is what is tested. Each test checks the books: events sent =
events stored + events dead-lettered, zero lost. Run on SQLite and on PostgreSQL
(PERSONALIZATION_TEST_DB=postgres).
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from personalization_plugin.core.events import TrackedEvent, build_event
from personalization_plugin.models import DeadLetterEvent, Event
from personalization_plugin.privacy.erasure import erase
from personalization_plugin.tracking.backends import get_backend, get_local_backend
from personalization_plugin.tracking.backends.local import LocalBackend
from personalization_plugin.tracking.identity import sign_visitor_id

SENT = 1000
HOSTILE_VISITOR = "badbadbadbadbadbadbadbadbadbad00"


def hostile_values() -> list[dict[str, Any]]:
    """Values this database refuses: an unpaired surrogate everywhere, NUL on PostgreSQL."""
    values: list[dict[str, Any]] = [{"query": "lamp \ud800"}]
    if connection.vendor == "postgresql":
        values += [{"query": "lamp \x00"}, {"payload": {"note": "\x00"}}]
    return values


def hostile_event(values: dict[str, Any]) -> TrackedEvent:
    event = build_event("search", visitor_id=HOSTILE_VISITOR, query="lamp")
    for name, value in values.items():
        setattr(event, name, value)  # past validation, as an old buffered entry would be
    return event


def batch_with_one_hostile(values: dict[str, Any]) -> list[TrackedEvent]:
    events = [
        build_event("view", visitor_id=f"visitor{n % 40:025d}", product_id=str(n % 12 + 1))
        for n in range(SENT - 1)
    ]
    events.insert(SENT // 2, hostile_event(values))
    return events


def assert_books_balance(values: dict[str, Any]) -> None:
    stored = Event.objects.count()
    dead = list(DeadLetterEvent.objects.all())
    assert (stored, len(dead)) == (SENT - 1, 1), values
    assert stored + len(dead) == SENT  # nothing lost
    assert dead[0].visitor_id == HOSTILE_VISITOR
    assert dead[0].reason  # the database's reason is kept for the owner
    assert dead[0].raw.isascii() and "\x00" not in dead[0].raw  # storable anywhere


@pytest.mark.django_db
def test_one_hostile_event_among_1000_local_flush_stores_999_and_dead_letters_1(
    personalization: Any,
) -> None:
    personalization(BATCH_SIZE=SENT * 2)
    for values in hostile_values():
        Event.objects.all().delete()
        DeadLetterEvent.objects.all().delete()
        backend = get_local_backend()
        for event in batch_with_one_hostile(values):
            backend.submit(event)
        assert backend.flush() == SENT - 1
        assert backend.pending() == 0
        assert_books_balance(values)


def wait_for_timed_flush(backend: Any) -> None:
    """Until the timer thread has taken the buffer and finished writing it."""
    deadline = time.monotonic() + 30
    while backend.pending() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert backend.pending() == 0, "the timed flush gave up on the batch"
    with backend._flush_lock:  # the write under way ends before this is acquired
        pass


@pytest.mark.django_db(transaction=True)
def test_one_hostile_event_among_1000_timed_flush_keeps_storing(personalization: Any) -> None:
    personalization(BATCH_SIZE=SENT * 2, FLUSH_INTERVAL=0.05)
    backend = LocalBackend()  # its own timer thread, stopped at the end
    try:
        for event in batch_with_one_hostile(hostile_values()[0]):
            backend.submit(event)
        wait_for_timed_flush(backend)
        assert_books_balance(hostile_values()[0])
        # The timer thread is still alive and still stores what comes next.
        backend.submit(build_event("view", visitor_id="after" * 6, product_id="1"))
        wait_for_timed_flush(backend)
        assert Event.objects.filter(visitor_id="after" * 6).count() == 1
    finally:
        backend._stop.set()


@pytest.mark.django_db
def test_one_hostile_event_among_1000_worker_stores_999_and_keeps_running(
    use_redis: Any, personalization: Any, capsys: Any
) -> None:
    for values in hostile_values():
        Event.objects.all().delete()
        DeadLetterEvent.objects.all().delete()
        backend = get_backend()
        assert backend.name == "redis"
        pipe = backend.client.pipeline(transaction=False)
        for event in batch_with_one_hostile(values):
            backend.queue(pipe, event)  # type: ignore[attr-defined]
        pipe.execute()
        call_command("personalization_worker", "--max-seconds", "2", "--interval", "0.1")
        output = capsys.readouterr()
        assert "Flush failed" not in output.err
        assert f"Worker stopped after flushing {SENT - 1} events; 1 dead-lettered." in output.out
        assert backend.client.xlen(backend.stream) == 0  # nothing left behind to retry
        assert_books_balance(values)


@pytest.mark.django_db
def test_flush_command_reports_dead_letters_and_exits_cleanly(use_redis: Any, capsys: Any) -> None:
    backend = get_backend()
    pipe = backend.client.pipeline(transaction=False)
    for event in batch_with_one_hostile(hostile_values()[0]):
        backend.queue(pipe, event)  # type: ignore[attr-defined]
    pipe.execute()
    call_command("personalization_flush")  # raises CommandError / exits 1 on failure
    out = capsys.readouterr().out
    assert f"Flushed {SENT - 1} events (redis backend); 0 pending." in out
    assert "1 refused by the database and dead-lettered" in out


@pytest.mark.django_db
def test_an_unreadable_stream_entry_is_dead_lettered_not_dropped(use_redis: Any) -> None:
    backend = get_backend()
    for _ in range(2):  # two copies of the same garbage are two dead letters
        backend.client.xadd(backend.stream, {"e": b"{not json \xff"})
    backend.submit(build_event("view", visitor_id="good" * 8, product_id="1"))
    assert backend.flush() == 1
    dead = list(DeadLetterEvent.objects.all())
    assert len(dead) == 2
    assert all(d.reason.startswith("Unreadable entry") and d.raw.isascii() for d in dead)


@pytest.mark.django_db
def test_a_stream_entry_with_fields_of_the_wrong_type_is_dead_lettered(use_redis: Any) -> None:
    backend = get_backend()
    good = build_event("view", visitor_id="good" * 8, product_id="1")
    wrong = json.loads(good.to_json())
    wrong.update(event_id="f" * 32, visitor_id=["not", "an", "id"], quantity="many")
    backend.client.xadd(backend.stream, {"e": json.dumps(wrong)})
    backend.submit(good)
    assert backend.flush() == 1
    assert Event.objects.get().event_id == good.event_id
    assert DeadLetterEvent.objects.get().reason.startswith("Unreadable entry")
    assert backend.client.xlen(backend.stream) == 0


@pytest.mark.django_db
def test_my_data_answers_200_while_a_hostile_event_is_buffered(catalog: list[Any]) -> None:
    backend = get_local_backend()
    backend.submit(hostile_event(hostile_values()[0]))
    client = Client()
    client.cookies["sp_vid"] = sign_visitor_id(HOSTILE_VISITOR)
    response = client.get("/personalization/my-data/")
    assert response.status_code == 200
    exported = response.json()["dead_letters"]
    assert len(exported) == 1 and "ud800" in exported[0]["raw"]
    backend.submit(hostile_event(hostile_values()[0]))  # and GraphQL's myData
    body = json.dumps({"query": "{ myData { visitorId eventCount } }"})
    answer = client.post("/graphql/", data=body, content_type="application/json")
    assert answer.status_code == 200 and "errors" not in answer.json()
    assert answer.json()["data"]["myData"]["visitorId"] == HOSTILE_VISITOR


@pytest.mark.django_db
def test_erasure_deletes_the_shoppers_dead_letters() -> None:
    backend = get_local_backend()
    backend.submit(hostile_event(hostile_values()[0]))
    backend.submit(hostile_event({"query": "other \udfff"}))
    other = hostile_event(hostile_values()[0])
    other.visitor_id = "someone" + "0" * 25
    backend.submit(other)
    backend.flush()
    assert DeadLetterEvent.objects.count() == 3
    report = erase(visitor_id=HOSTILE_VISITOR)
    assert sum(n for name, n in report.items() if "erase_dead_letters" in name) == 2
    assert list(DeadLetterEvent.objects.values_list("visitor_id", flat=True)) == [other.visitor_id]


@pytest.mark.django_db
def test_the_owner_sees_dead_letters_and_dropped_crawlers_on_the_dashboard(
    catalog: list[Any], django_user_model: Any
) -> None:
    from personalization_plugin.tracking import drops

    backend = get_local_backend()
    backend.submit(hostile_event(hostile_values()[0]))
    backend.flush()
    drops.count(drops.BOT, 7)
    owner = Client()
    owner.force_login(django_user_model.objects.create_superuser("owner", "o@example.com", "pw"))
    html = owner.get("/admin/personalization/").content.decode()
    dead_row = html[html.index('id="sp-dead-letters"') :]
    assert '<td class="num">1</td>' in dead_row[:300]
    bots_row = html[html.index('id="sp-dropped-bots"') :]
    assert '<td class="num">7</td>' in bots_row[:300]
    assert "kept as a dead letter" in html
