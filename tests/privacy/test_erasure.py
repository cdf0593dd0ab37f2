"""Erasure removes a shopper's events, Redis keys, buffered events and registered stores."""

from __future__ import annotations

import pytest

from personalization_plugin import track
from personalization_plugin.core.exceptions import ErasureIncomplete
from personalization_plugin.core.registry import register_eraser, unregister_eraser
from personalization_plugin.models import Event, PrivacyChoice
from personalization_plugin.privacy.erasure import erase
from personalization_plugin.profiles import store as profile_store
from personalization_plugin.tracking.backends import get_backend
from personalization_plugin.tracking.identity import merge_visitor
from personalization_plugin.tracking.realtime import get_realtime, subject_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def eraser():
    seen: list[set[str]] = []

    def drop(subjects: set[str]) -> int:
        seen.append(subjects)
        return 3

    register_eraser(drop)
    yield seen
    unregister_eraser(drop)


def seed(visitor: str, customer: str = "") -> None:
    track("view", visitor_id=visitor, customer_id=customer or None, product_id="1")
    track("cart_add", visitor_id=visitor, customer_id=customer or None, product_id="2")


def test_erase_visitor_removes_events_and_state_but_not_others(eraser) -> None:
    seed("gone")
    seed("kept")
    get_backend().flush()
    report = erase(visitor_id="gone")
    assert report["events"] == 2
    assert set(Event.objects.values_list("visitor_id", flat=True)) == {"kept"}
    assert get_realtime().recently_viewed("v:gone") == []
    assert get_realtime().recently_viewed("v:kept") == ["1"]
    assert eraser == [{"v:gone"}]


def test_erase_removes_buffered_events(eraser) -> None:
    seed("gone")
    report = erase(visitor_id="gone")
    assert report["buffered"] == 2
    get_backend().flush()
    assert Event.objects.count() == 0


def test_erase_customer_covers_merged_visitors(eraser) -> None:
    seed("anon1")
    get_backend().flush()
    merge_visitor("anon1", "77")
    seed("device2", "77")
    get_backend().flush()
    erase(customer_id="77")
    assert Event.objects.count() == 0
    assert eraser[0] == {"c:77", "v:anon1", "v:device2"}


def test_registered_eraser_counts_are_reported(eraser) -> None:
    report = erase(visitor_id="x")
    assert any(name.endswith("drop") and count == 3 for name, count in report.items())


def test_failing_eraser_still_erases_the_rest(eraser) -> None:
    def broken(subjects: set[str]) -> int:
        raise RuntimeError("model store offline")

    seed("gone")
    get_backend().flush()
    register_eraser(broken)
    try:
        with pytest.raises(ErasureIncomplete, match="broken"):
            erase(visitor_id="gone")
    finally:
        unregister_eraser(broken)
    assert Event.objects.count() == 0
    assert len(eraser) == 1


def test_erase_deletes_privacy_choices_unless_kept() -> None:
    PrivacyChoice.objects.create(subject="v:a", consent="denied")
    PrivacyChoice.objects.create(subject="v:b", consent="denied")
    erase(visitor_id="a")
    erase(visitor_id="b", keep_consent=True)
    assert list(PrivacyChoice.objects.values_list("subject", flat=True)) == ["v:b"]


def test_erase_needs_an_id() -> None:
    with pytest.raises(ValueError, match="visitor_id or customer_id"):
        erase()


def test_redis_key_names_never_carry_a_shopper_id(use_redis) -> None:
    """Real-time state, segment profiles, the recommendation cache, ledgers and rate
    counters all name a shopper by a keyed hash: SCAN output (or a Redis backup) reveals no id."""
    visitor, customer = "d" * 32, "4242"
    seed(visitor, customer)
    seed(visitor)
    merge_visitor(visitor, customer)
    profile_store.load(f"c:{customer}")  # a segment profile, cached in Redis
    erase(visitor_id="a" * 32)
    names = [k.decode() for k in use_redis.scan_iter("*")]
    assert any(":seg:p:" in k for k in names)
    assert any(":rv:" in k for k in names)  # state was written ...
    assert not [k for k in names if visitor in k or f"c:{customer}" in k]  # ... never in clear


def test_redis_erasure_leaves_no_key_or_stream_entry(use_redis, eraser) -> None:
    visitor = "e" * 32
    seed(visitor, "88")
    seed(visitor)
    get_backend().flush()
    seed(visitor)  # in the stream, not yet flushed
    seed("f" * 32)
    state = [subject_key(name, s).encode() for name in ("rv", "ri") for s in (f"v:{visitor}",)]
    assert set(state) <= set(use_redis.scan_iter("*"))
    report = erase(visitor_id=visitor, customer_id="88")
    assert report["buffered"] == 2 and report["events"] == 4
    names = set(use_redis.scan_iter("*"))
    assert not names & set(state)
    assert not [k for k in names if visitor.encode() in k or b":c:88" in k]  # never in clear
    entries = use_redis.xrange(get_backend().stream)
    assert entries and all(visitor.encode() not in fields[b"e"] for _, fields in entries)
    get_backend().flush()
    assert set(Event.objects.values_list("visitor_id", flat=True)) == {"f" * 32}


@pytest.mark.parametrize("mode", ["local", "redis"])
def test_events_in_flight_during_erasure_are_not_stored(mode, request) -> None:
    from personalization_plugin.core.events import build_event

    if mode == "redis":
        request.getfixturevalue("use_redis")
    # A flusher elsewhere has already taken this event out of the buffer...
    in_flight = build_event("view", visitor_id="gone", product_id="1")
    erase(visitor_id="gone")
    # ...and writes it after the erasure: it is dropped, while a newer event is kept.
    newer = build_event("view", visitor_id="gone", product_id="3")
    assert get_backend().write([in_flight, newer]) == 1
    assert list(Event.objects.values_list("product_id", flat=True)) == ["3"]
