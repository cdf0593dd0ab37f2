"""Real-time state, in-process and on Redis: recently viewed, cart, recent items, trending."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from personalization_plugin.core.events import build_event
from personalization_plugin.tracking.realtime import (
    STATE_TTL_SECONDS,
    LocalRealtime,
    RedisRealtime,
    get_realtime,
    subject_key,
)


@pytest.fixture(params=["local", "redis"])
def store(request):
    if request.param == "redis":
        request.getfixturevalue("use_redis")
    return get_realtime()


def record(store, kind: str, product: str = "", subject_visitor: str = "vis1", **fields) -> None:
    store.record(
        build_event(kind, visitor_id=subject_visitor, product_id=product or None, **fields)
    )


def test_store_kind_follows_redis_url(store, request) -> None:
    expected = RedisRealtime if request.node.callspec.params["store"] == "redis" else LocalRealtime
    assert isinstance(store, expected)


def test_recently_viewed_is_newest_first_without_repeats(store) -> None:
    for product in ["1", "2", "3", "1"]:
        record(store, "view", product)
    assert store.recently_viewed("v:vis1") == ["1", "3", "2"]


def test_recently_viewed_is_capped(store, personalization) -> None:
    personalization(RECENTLY_VIEWED_SIZE=3)
    for product in ["1", "2", "3", "4", "5"]:
        record(store, "view", product)
    assert store.recently_viewed("v:vis1") == ["5", "4", "3"]


def test_recently_viewed_is_per_subject(store) -> None:
    record(store, "view", "1", "alice")
    record(store, "view", "2", "bob")
    assert store.recently_viewed("v:alice") == ["1"]


def test_cart_follows_adds_and_removes(store) -> None:
    record(store, "cart_add", "1")
    record(store, "cart_add", "2")
    record(store, "cart_remove", "1")
    assert store.cart("v:vis1") == ["2"]


def test_purchase_clears_the_cart(store) -> None:
    record(store, "cart_add", "1")
    record(store, "purchase", "1", order_id="o1")
    assert store.cart("v:vis1") == []


def test_recent_items_include_carted_and_bought_products(store) -> None:
    record(store, "view", "1")
    record(store, "cart_add", "2")
    record(store, "purchase", "3", order_id="o1")
    record(store, "impression", "4")  # seeing a recommendation is not an interest signal
    assert store.recent_items("v:vis1") == ["3", "2", "1"]


def test_trending_ranks_by_decayed_weight(store, personalization) -> None:
    personalization(TRENDING_HALF_LIFE_HOURS=1.0, TRENDING_MIN_SHOPPERS=0)
    now = datetime.now(UTC)
    for shopper in ("a", "b", "c"):  # three shoppers five hours ago: worth 3/32 of one now
        record(store, "view", "1", shopper, occurred_at=now - timedelta(hours=5))
    record(store, "view", "2", occurred_at=now)
    ranked = store.trending(n=5)
    assert [pid for pid, _ in ranked] == ["2", "1"]
    assert ranked[0][1] == pytest.approx(1.0, rel=0.01)
    assert ranked[1][1] == pytest.approx(3 / 32, rel=0.01)


def test_trending_weighs_purchases_over_views(store, personalization) -> None:
    personalization(TRENDING_MIN_SHOPPERS=0)
    record(store, "view", "1", "a")
    record(store, "view", "1", "b")
    record(store, "purchase", "2", order_id="o1")
    assert [pid for pid, _ in store.trending()] == ["2", "1"]


def test_trending_per_category(store, personalization) -> None:
    personalization(TRENDING_MIN_SHOPPERS=0)
    store.record(build_event("view", visitor_id="v", product_id="1"), category_ids=["chairs"])
    store.record(build_event("view", visitor_id="v", product_id="11"), category_ids=["tables"])
    assert [pid for pid, _ in store.trending(category_id="tables")] == ["11"]
    assert {pid for pid, _ in store.trending()} == {"1", "11"}


def test_forget_removes_the_subjects_state(store) -> None:
    record(store, "view", "1")
    record(store, "cart_add", "2")
    assert store.forget("v:vis1") >= 1
    assert store.recently_viewed("v:vis1") == [] and store.cart("v:vis1") == []


def test_merge_moves_visitor_state_to_the_customer(store) -> None:
    store.record(build_event("view", visitor_id="old", customer_id="7", product_id="9"))
    record(store, "view", "1", "anon")
    record(store, "cart_add", "2", "anon")
    store.merge("v:anon", "c:7")
    assert store.recently_viewed("c:7") == ["1", "9"]
    assert store.cart("c:7") == ["2"]
    assert store.recently_viewed("v:anon") == []


def test_redis_state_keys_expire(use_redis) -> None:
    store = get_realtime()
    record(store, "view", "1")
    record(store, "cart_add", "1")
    keys = [subject_key(name, "v:vis1") for name in ("rv", "ri", "cart")]
    assert all(use_redis.exists(k) for k in keys)
    for name in keys:
        assert 0 < use_redis.ttl(name) <= STATE_TTL_SECONDS


def test_redis_down_reads_fall_back_to_process_state(personalization) -> None:
    personalization(REDIS_URL="redis://127.0.0.1:1/0")
    store = get_realtime()
    record(store, "view", "1")
    assert store.recently_viewed("v:vis1") == ["1"]
