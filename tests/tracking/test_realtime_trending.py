"""Trending as "many shoppers, recently", on both real-time stores, with a controllable clock.

The clock is `tracking.trending.clock` (reads and the cap on event times); events carry
their own times, so advancing both moves the whole store through time.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from django.conf import settings as django_settings

from personalization_plugin.core.events import build_event
from personalization_plugin.tracking import trending
from personalization_plugin.tracking.realtime import (
    LocalRealtime,
    RedisRealtime,
    get_realtime,
    subject_key,
)

HOUR = 3600.0


class Clock:
    """A clock tests move by hand."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def at(self) -> datetime:
        return datetime.fromtimestamp(self.now, UTC)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock(1_800_000_000.0)
    monkeypatch.setattr(trending, "clock", fake)
    return fake


@pytest.fixture(params=["local", "redis"])
def store(request, clock):
    if request.param == "redis":
        request.getfixturevalue("use_redis")
    return get_realtime()


def view(store, shopper: str, product: str, clock: Clock, kind: str = "view", **fields) -> None:
    store.record(
        build_event(kind, visitor_id=shopper, product_id=product, occurred_at=clock.at(), **fields)
    )


def ids(pairs) -> list[str]:
    return [pid for pid, _ in pairs]


def test_repeated_views_by_one_shopper_count_once_per_half_life(store, clock, personalization):
    personalization(TRENDING_MIN_SHOPPERS=0, TRENDING_HALF_LIFE_HOURS=1.0)
    for _ in range(50):
        view(store, "bot", "1", clock)
    view(store, "alice", "2", clock)
    view(store, "bob", "2", clock)
    scores = dict(store.trending(5))
    assert scores["1"] == pytest.approx(1.0)
    assert scores["2"] == pytest.approx(2.0)
    clock.advance(HOUR)  # a new window: the same shopper counts again, at today's weight
    view(store, "bot", "1", clock)
    assert dict(store.trending(5))["1"] == pytest.approx(0.5 + 1.0)


def test_a_deeper_event_adds_only_the_difference_within_a_window(store, clock, personalization):
    personalization(TRENDING_MIN_SHOPPERS=0)
    view(store, "alice", "1", clock)  # weight 1
    view(store, "alice", "1", clock, kind="cart_add")  # weight 4: adds 3
    view(store, "alice", "1", clock, kind="cart_add")  # nothing more
    assert dict(store.trending(5))["1"] == pytest.approx(4.0)


def test_an_item_needs_enough_distinct_shoppers_to_trend(store, clock, personalization):
    personalization(TRENDING_MIN_SHOPPERS=3)
    for _ in range(3):
        view(store, "alice", "1", clock)
    view(store, "alice", "2", clock)
    view(store, "bob", "2", clock)
    assert store.trending(5) == []
    view(store, "carol", "2", clock)
    assert ids(store.trending(5)) == ["2"]


def normal_traffic(store, clock: Clock, rng: random.Random) -> None:
    """A day of a small store: 300 shoppers, 3 product views each, over 40 products."""
    start = clock.now
    for shopper in range(300):
        clock.now = start - 24 * HOUR + shopper * (24 * HOUR / 300)
        for product in rng.sample(range(1, 41), 3):
            view(store, f"s{shopper}", str(product), clock)
    clock.now = start


def test_one_visitor_cannot_lift_an_item_into_the_top_8_but_30_shoppers_do(store, clock):
    normal_traffic(store, clock, random.Random(7))
    for _ in range(3):
        view(store, "one-visitor", "999", clock)
    assert "999" not in ids(store.trending(8))
    for shopper in range(30):  # thirty shoppers within a minute
        clock.advance(2.0)
        view(store, f"new{shopper}", "999", clock)
    assert "999" in ids(store.trending(8))


def test_an_erased_shoppers_contribution_leaves_every_board(store, clock, personalization):
    personalization(TRENDING_MIN_SHOPPERS=2)
    for shopper in ("alice", "bob", "carol"):
        store.record(
            build_event("view", visitor_id=shopper, product_id="1", occurred_at=clock.at()),
            category_ids=["lamps"],
        )
    view(store, "alice", "2", clock, kind="purchase", order_id="o1")
    view(store, "bob", "2", clock)
    assert dict(store.trending(5)) == pytest.approx({"2": 11.0, "1": 3.0})
    store.forget("v:alice")
    assert dict(store.trending(5)) == pytest.approx({"1": 2.0})  # "2" lost its support too
    assert dict(store.trending(5, category_id="lamps")) == pytest.approx({"1": 2.0})
    store.forget("v:bob")
    assert store.trending(5) == [] and store.trending(5, category_id="lamps") == []


def test_an_erasure_after_a_rebase_still_removes_exactly_what_was_added(
    store, clock, personalization, monkeypatch
):
    personalization(TRENDING_MIN_SHOPPERS=0, TRENDING_HALF_LIFE_HOURS=1.0)
    monkeypatch.setattr(trending, "REBASE_AFTER_HALF_LIVES", 5.0)
    view(store, "alice", "1", clock)
    clock.advance(9 * HOUR)  # past the rebase, inside the ledger's life (10 half-lives)
    view(store, "bob", "2", clock)
    view(store, "alice", "3", clock)  # alice's ledger now holds values of two epochs
    store.forget("v:alice")
    assert dict(store.trending(5)) == pytest.approx({"2": 1.0})


def test_boards_are_trimmed_to_their_size(store, clock, personalization, monkeypatch):
    personalization(TRENDING_MIN_SHOPPERS=0)
    monkeypatch.setattr(trending, "TRENDING_SIZE", 10)
    for product in range(1, 31):
        for shopper in range(product % 7 + 1):
            view(store, f"s{shopper}", str(product), clock)
    assert len(store.trending(100)) <= trending.TRIM_SLACK * 10
    top = [score for _, score in store.trending(10)]
    assert top == pytest.approx([7.0] * 4 + [6.0] * 4 + [5.0] * 2)


def test_redis_board_sizes_are_bounded(use_redis, clock, personalization, monkeypatch):
    personalization(TRENDING_MIN_SHOPPERS=0)
    monkeypatch.setattr(trending, "TRENDING_SIZE", 10)
    store = get_realtime()
    for product in range(1, 31):
        store.record(
            build_event("view", visitor_id="x", product_id=str(product), occurred_at=clock.at()),
            category_ids=["c"],
        )
    prefix = django_settings.PERSONALIZATION["KEY_PREFIX"]
    for board in (f"{prefix}:trend", f"{prefix}:trend:cat:c", f"{prefix}:trend:support"):
        assert 10 <= use_redis.zcard(board) <= trending.TRIM_SLACK * 10


def second_process_store() -> RedisRealtime:
    """A RedisRealtime with its own connection and nothing cached: another worker."""
    url = f"{django_settings.REDIS_TEST_URL}?client_name=second-process"
    return RedisRealtime(url, LocalRealtime())


def test_trending_survives_hundreds_of_half_lives_across_two_clients(
    use_redis, clock, personalization
):
    personalization(TRENDING_MIN_SHOPPERS=0, TRENDING_HALF_LIFE_HOURS=1.0)
    first, second = get_realtime(), second_process_store()
    assert first.client is not second.client
    view(first, "a", "1", clock)
    view(second, "b", "1", clock)
    for step in range(1, 4):  # three rebases, the clients taking turns to trigger them
        clock.advance(300 * HOUR)
        writer, other = (first, second) if step % 2 else (second, first)
        view(writer, f"w{step}", "fresh", clock)
        view(other, f"o{step}", "fresh", clock)
        view(other, f"o{step}", "other", clock)
        for reader in (first, second):
            assert dict(reader.trending(5)) == pytest.approx({"fresh": 2.0, "other": 1.0})
    epoch = float(use_redis.get(f"{django_settings.PERSONALIZATION['KEY_PREFIX']}:trend:epoch"))
    assert epoch == pytest.approx(clock.now - 0.0, abs=1.0)


def test_local_trending_survives_hundreds_of_half_lives(clock, personalization):
    personalization(TRENDING_MIN_SHOPPERS=0, TRENDING_HALF_LIFE_HOURS=1.0)
    store = get_realtime()
    for step in range(1, 4):
        clock.advance(300 * HOUR)
        view(store, f"a{step}", "fresh", clock)
        view(store, f"b{step}", "fresh", clock)
        assert dict(store.trending(5)) == pytest.approx({"fresh": 2.0})


def test_trending_ledger_is_named_by_a_keyed_hash(use_redis, clock):
    store = get_realtime()
    view(store, "visitor-42", "1", clock)
    name = subject_key("tl", "v:visitor-42")
    assert use_redis.exists(name) and "visitor-42" not in name
    assert all(b"visitor-42" not in k for k in use_redis.scan_iter("*"))
