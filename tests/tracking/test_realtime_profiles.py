"""Segment profiles on the write path: atomic appends, folds on read, complete rebuilds.

Real Redis and real threads: several writers track events for one shopper while readers
fold the profile concurrently; nothing may be lost or counted twice.
"""

from __future__ import annotations

import json
import threading

import pytest
import redis

from personalization_plugin import track
from personalization_plugin.profiles import store
from personalization_plugin.tracking.backends import get_backend
from personalization_plugin.tracking.identity import Visitor
from personalization_plugin.tracking.realtime import profile_queue_key

pytestmark = pytest.mark.django_db

SHOPPER = Visitor(visitor_id="v-race", customer_id="77")


@pytest.fixture(params=["local", "redis"])
def mode(request) -> str:
    if request.param == "redis":
        request.getfixturevalue("use_redis")
    store.clear_local()
    yield request.param
    store.clear_local()


def views(raw, product: str) -> int:
    return int(raw["pv"].get(product, [0, 0.0])[0])


def test_concurrent_events_and_reads_lose_no_update(mode) -> None:
    store.load(SHOPPER.subject)  # cached (empty) profile: writers and readers race on it
    writers, per_writer = 6, 40
    done = threading.Event()
    failures: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(per_writer):
                track("view", visitor=SHOPPER, product_id="p1", validate_products=False)
                if i % 10 == 0:
                    store.load(SHOPPER.subject)
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    def read() -> None:
        try:
            while not done.is_set():
                store.load(SHOPPER.subject)
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    readers = [threading.Thread(target=read) for _ in range(2)]
    for thread in [*threads, *readers]:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    for thread in readers:
        thread.join()
    assert failures == []
    raw, _ = store.load(SHOPPER.subject)
    assert views(raw, "p1") == writers * per_writer
    assert sum(raw["vd"].values()) == writers * per_writer
    store.clear_local()  # another process: the shared profile says the same
    if mode == "redis":
        raw, _ = store.load(SHOPPER.subject)
        assert views(raw, "p1") == writers * per_writer


def test_a_profile_rebuilt_while_events_are_buffered_includes_them_once(mode) -> None:
    for _ in range(3):
        track("view", visitor=SHOPPER, product_id="p1", validate_products=False)
    track("search", visitor=SHOPPER, query="Lamp")
    assert get_backend().pending() == 4  # nothing stored yet
    raw, _ = store.load(SHOPPER.subject)  # no cached profile: a rebuild from an incomplete store
    assert views(raw, "p1") == 3 and [q for q, _ in raw["s"]] == ["lamp"]
    track("view", visitor=SHOPPER, product_id="p1", validate_products=False)
    assert get_backend().flush() == 5
    store.invalidate({SHOPPER.subject})  # rebuilt again: stored and queued events overlap
    raw, _ = store.load(SHOPPER.subject)
    assert views(raw, "p1") == 4 and len(raw["s"]) == 1


def test_a_cached_profile_sees_the_next_event_at_once(mode) -> None:
    store.load(SHOPPER.subject)
    track("cart_add", visitor=SHOPPER, product_id="p2", validate_products=False)
    raw, _ = store.load(SHOPPER.subject)
    assert list(raw["c"]) == ["p2"]
    raw, _ = store.load(SHOPPER.subject)  # folded once, not again on the next read
    assert list(raw["c"]) == ["p2"] and sum(raw["ad"].values()) == 1


def test_erasure_removes_the_queued_profile_events(use_redis) -> None:
    from personalization_plugin.privacy.erasure import erase

    track("view", visitor=SHOPPER, product_id="p1", validate_products=False)
    assert use_redis.llen(profile_queue_key(SHOPPER.subject)) == 1
    erase(visitor_id=SHOPPER.visitor_id, customer_id="77")
    assert use_redis.exists(profile_queue_key(SHOPPER.subject)) == 0
    raw, _ = store.load(SHOPPER.subject)
    assert raw["pv"] == {}


def test_queued_profile_events_hold_no_shopper_id(use_redis) -> None:
    track("view", visitor=SHOPPER, product_id="p1", validate_products=False)
    name = profile_queue_key(SHOPPER.subject)
    (entry,) = use_redis.lrange(name, 0, -1)
    fields = json.loads(entry)
    assert "v-race" not in name and "c:77" not in name
    assert set(fields) == {"i", "t", "ts", "p", "c", "o", "q", "n", "m"}  # no id field
    assert "v-race" not in entry.decode() and "77" not in fields.values()


class CountingConnection(redis.Connection):
    """A real connection that counts the round trips it makes."""

    sent = 0

    def send_packed_command(self, command, check_health=True):  # type: ignore[no-untyped-def]
        CountingConnection.sent += 1
        return super().send_packed_command(command, check_health)


def test_track_costs_one_redis_round_trip_per_event(use_redis, settings) -> None:
    from personalization_plugin.core import redis as connection

    store.load(SHOPPER.subject)  # a cached profile: the old path read and rewrote it per event
    client = connection.get_redis()
    client.connection_pool.connection_class = CountingConnection
    client.connection_pool.reset()
    track("view", visitor=SHOPPER, product_id="p1", validate_products=False)  # warm: script load
    CountingConnection.sent = 0
    for _ in range(20):
        track("view", visitor=SHOPPER, product_id="p1", validate_products=False)
    assert CountingConnection.sent == 20
    raw, _ = store.load(SHOPPER.subject)
    assert views(raw, "p1") == 21
