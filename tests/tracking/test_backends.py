"""Both event backends: batching, no loss, no duplicates, crash reclaim, Redis outage fallback."""

from __future__ import annotations

import logging
import threading

import pytest

from personalization_plugin import track
from personalization_plugin.core.events import build_event
from personalization_plugin.models import Event
from personalization_plugin.tracking.backends import get_backend, get_local_backend
from personalization_plugin.tracking.backends.redis_stream import GROUP, RedisStreamBackend
from personalization_plugin.tracking.realtime import get_realtime

pytestmark = pytest.mark.django_db


def make_events(n: int, visitor: str = "vis1"):
    return [build_event("view", visitor_id=visitor, product_id=str(i % 30 + 1)) for i in range(n)]


@pytest.fixture(params=["local", "redis"])
def backend(request):
    if request.param == "redis":
        request.getfixturevalue("use_redis")
    return get_backend()


def test_backend_matches_the_settings(backend, request) -> None:
    assert backend.name == request.node.callspec.params["backend"]


def test_flush_writes_every_event_once(backend) -> None:
    events = make_events(120)
    for event in events:
        backend.submit(event)
    assert backend.pending() == 120
    backend.flush()
    assert backend.pending() == 0
    assert set(Event.objects.values_list("event_id", flat=True)) == {e.event_id for e in events}


def test_flushing_twice_stores_nothing_twice(backend) -> None:
    for event in make_events(10):
        backend.submit(event)
    backend.flush()
    assert backend.flush() == 0
    assert Event.objects.count() == 10


def test_resubmitted_event_is_stored_once(backend) -> None:
    event = make_events(1)[0]
    backend.submit(event)
    backend.flush()
    backend.submit(event)  # e.g. a flush retried after writing but before acknowledging
    backend.flush()
    assert Event.objects.filter(event_id=event.event_id).count() == 1


def test_full_batch_is_flushed_by_size(personalization) -> None:
    personalization(BATCH_SIZE=25)
    for event in make_events(60):
        get_backend().submit(event)
    assert Event.objects.count() == 50
    assert get_backend().pending() == 10


def test_scrub_drops_only_that_subjects_buffered_events(backend) -> None:
    for event in make_events(5, "gone") + make_events(3, "kept"):
        backend.submit(event)
    assert backend.scrub({"v:gone"}) == 5
    backend.flush()
    assert set(Event.objects.values_list("visitor_id", flat=True)) == {"kept"}


def test_local_failed_write_keeps_events_buffered(monkeypatch) -> None:
    backend = get_local_backend()
    for event in make_events(7):
        backend.submit(event)

    def broken(events):
        raise RuntimeError("database down")

    monkeypatch.setattr(backend, "write", broken)
    with pytest.raises(RuntimeError):
        backend.flush()
    assert backend.pending() == 7
    monkeypatch.undo()
    backend.flush()
    assert Event.objects.count() == 7


def test_local_buffer_is_safe_under_concurrent_submits(personalization) -> None:
    personalization(BATCH_SIZE=10_000)
    backend = get_local_backend()
    batches = [make_events(200, f"t{n}") for n in range(4)]
    threads = [threading.Thread(target=lambda b=b: [backend.submit(e) for e in b]) for b in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert backend.pending() == 800


def test_local_timer_thread_flushes_after_the_interval(personalization) -> None:
    from personalization_plugin.tracking.backends.local import LocalBackend

    personalization(FLUSH_INTERVAL=0.05)
    backend = LocalBackend()
    flushed = threading.Event()

    def flush_and_signal():
        # Observe the timer thread's call without writing from another thread's
        # connection (which would escape the test's transaction).
        backend._stop.set()
        backend._buffer.clear()
        flushed.set()
        return 1

    backend.flush = flush_and_signal
    backend.submit(make_events(1)[0])
    assert flushed.wait(5)


def test_redis_submit_appends_to_the_prefixed_stream(use_redis) -> None:
    track("view", visitor_id="vis1", product_id="1")
    prefix = get_backend().stream.split(":")[0]
    assert use_redis.xlen(f"{prefix}:events") == 1


def test_redis_crashed_consumer_entries_are_reclaimed(use_redis) -> None:
    backend = get_backend()
    events = make_events(30)
    for event in events:
        backend.submit(event)
    backend._ensure_group()
    # A worker reads a batch and dies before writing or acknowledging it.
    use_redis.xreadgroup(GROUP, "crashed-worker", {backend.stream: ">"}, count=20)
    backend.flush(reclaim_idle_ms=0)
    assert Event.objects.count() == 30
    assert use_redis.xpending(backend.stream, GROUP)["pending"] == 0
    assert use_redis.xlen(backend.stream) == 0


def test_redis_entries_of_a_live_consumer_are_left_alone_until_idle(use_redis) -> None:
    backend = get_backend()
    for event in make_events(10):
        backend.submit(event)
    backend._ensure_group()
    use_redis.xreadgroup(GROUP, "busy-worker", {backend.stream: ">"}, count=4)
    backend.flush(reclaim_idle_ms=60_000)
    assert Event.objects.count() == 6
    backend.flush(reclaim_idle_ms=0)
    assert Event.objects.count() == 10


def test_redis_write_failure_leaves_entries_pending_for_the_next_flush(
    use_redis, monkeypatch
) -> None:
    backend = get_backend()
    for event in make_events(5):
        backend.submit(event)
    monkeypatch.setattr(
        backend, "write", lambda events: (_ for _ in ()).throw(RuntimeError("db down"))
    )
    with pytest.raises(RuntimeError):
        backend.flush()
    monkeypatch.undo()
    backend.flush()
    assert Event.objects.count() == 5
    assert use_redis.xlen(backend.stream) == 0


def test_unreachable_redis_falls_back_to_the_local_buffer(personalization, caplog) -> None:
    personalization(REDIS_URL="redis://127.0.0.1:1/0")
    with caplog.at_level(logging.ERROR, logger="personalization_plugin"):
        events = [track("view", visitor_id="vis1", product_id=str(i)) for i in range(1, 6)]
    assert isinstance(get_backend(), RedisStreamBackend)
    assert get_local_backend().pending() == 5
    assert caplog.text.count("unreachable") == 1
    get_local_backend().flush()
    assert set(Event.objects.values_list("event_id", flat=True)) == {e.event_id for e in events}
    assert get_realtime().recently_viewed("v:vis1")[:2] == ["5", "4"]


def test_redis_flush_also_drains_the_fallback_buffer(use_redis) -> None:
    get_local_backend().submit(make_events(1, "during-outage")[0])
    track("view", visitor_id="after", product_id="1")
    get_backend().flush()
    assert set(Event.objects.values_list("visitor_id", flat=True)) == {"during-outage", "after"}


def test_tracking_survives_a_flushed_script_cache(use_redis) -> None:
    track("view", visitor_id="vis1", product_id="1")
    use_redis.script_flush()
    track("view", visitor_id="vis1", product_id="2")
    assert get_backend().pending() == 2
    assert get_realtime().recently_viewed("v:vis1") == ["2", "1"]
