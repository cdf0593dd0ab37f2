"""track() and track_order(): validation, consent, storage and real-time updates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from personalization_plugin import track, track_order
from personalization_plugin.core.exceptions import InvalidEvent, UnknownProduct
from personalization_plugin.models import Event, PrivacyChoice
from personalization_plugin.tracking.backends import get_backend
from personalization_plugin.tracking.realtime import get_realtime
from tests.tracking.adapter import CatalogAdapter

pytestmark = pytest.mark.django_db

EVENT_FIELDS = {
    "view": {"product_id": "1"},
    "category_view": {"category_id": "chairs"},
    "search": {"query": "oak chair"},
    "cart_add": {"product_id": "2", "quantity": 2, "price": "19.90"},
    "cart_remove": {"product_id": "2"},
    "checkout": {},
    "purchase": {"product_id": "3", "order_id": "o-1", "price": "5.00"},
    "impression": {"product_id": "4", "placement": "for_you", "position": 1},
    "click": {"product_id": "4", "placement": "for_you", "position": 1},
}


@pytest.mark.parametrize("event_type", sorted(EVENT_FIELDS))
def test_each_event_type_is_stored(event_type: str) -> None:
    event = track(event_type, visitor_id="vis1", **EVENT_FIELDS[event_type])
    assert event is not None
    get_backend().flush()
    stored = Event.objects.get(event_id=event.event_id)
    assert stored.type == event_type
    assert stored.visitor_id == "vis1"


def test_unknown_event_type_names_the_valid_ones() -> None:
    with pytest.raises(InvalidEvent, match="Unknown event type 'like'.*view"):
        track("like", visitor_id="vis1", product_id="1")


def test_missing_product_id_is_named() -> None:
    with pytest.raises(InvalidEvent, match="product_id is required"):
        track("view", visitor_id="vis1")


def test_unknown_product_is_rejected_with_its_id() -> None:
    with pytest.raises(UnknownProduct, match="'999'"):
        track("view", visitor_id="vis1", product_id="999")
    assert get_backend().pending() == 0


def test_oversized_payload_is_rejected_with_the_limit() -> None:
    with pytest.raises(InvalidEvent, match="limit is 4096"):
        track("view", visitor_id="vis1", product_id="1", payload={"blob": "x" * 5000})


def test_bad_quantity_is_explained() -> None:
    with pytest.raises(InvalidEvent, match="quantity must be a whole number"):
        track("cart_add", visitor_id="vis1", product_id="1", quantity="many")


def test_no_identity_is_an_error() -> None:
    with pytest.raises(InvalidEvent, match="needs request=, visitor=, visitor_id= or customer_id="):
        track("view", product_id="1")


def test_past_occurred_at_is_kept() -> None:
    when = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    event = track("view", visitor_id="vis1", product_id="1", occurred_at=when)
    get_backend().flush()
    assert Event.objects.get(event_id=event.event_id).occurred_at == when


def test_validate_products_false_skips_the_adapter() -> None:
    for i in range(20):
        track("view", visitor_id="vis1", product_id=f"gone-{i}", validate_products=False)
    assert CatalogAdapter.calls == []
    assert get_backend().flush() == 20


def test_known_products_are_looked_up_once_per_batch_of_calls() -> None:
    for _ in range(5):
        track("view", visitor_id="vis1", product_id="1")
    assert CatalogAdapter.calls == [["1"]]


def test_recommendation_id_is_kept_in_the_payload() -> None:
    event = track("click", visitor_id="vis1", product_id="4", recommendation_id="abc123")
    get_backend().flush()
    assert Event.objects.get(event_id=event.event_id).payload["recommendation_id"] == "abc123"


def test_customer_only_events_are_attributed_to_the_customer() -> None:
    event = track("view", customer_id="42", product_id="1")
    assert event.subject == "c:42"
    assert get_realtime().recently_viewed("c:42") == ["1"]


def test_track_updates_realtime_state_synchronously() -> None:
    track("view", visitor_id="vis1", product_id="1")
    track("view", visitor_id="vis1", product_id="2")
    assert get_realtime().recently_viewed("v:vis1") == ["2", "1"]


def test_required_consent_stores_nothing_without_a_choice(personalization) -> None:
    personalization(CONSENT_MODE="required")
    assert track("view", visitor_id="vis1", product_id="1") is None
    assert get_backend().pending() == 0
    assert get_realtime().recently_viewed("v:vis1") == []


def test_required_consent_tracks_after_a_stored_grant(personalization) -> None:
    personalization(CONSENT_MODE="required")
    PrivacyChoice.objects.create(subject="v:vis1", consent="granted")
    assert track("view", visitor_id="vis1", product_id="1") is not None


def test_stored_opt_out_stops_server_side_tracking() -> None:
    PrivacyChoice.objects.create(subject="c:42", consent="denied")
    assert track("view", customer_id="42", product_id="1") is None
    assert get_backend().pending() == 0


def test_disabled_plugin_tracks_nothing(personalization) -> None:
    personalization(ENABLED=False)
    assert track("view", visitor_id="vis1", product_id="1") is None


def test_track_order_stores_one_purchase_per_line() -> None:
    events = track_order(
        customer_id="42",
        order_id="o-9",
        currency="eur",
        lines=[
            {"product_id": "1", "quantity": 2, "price": "10.00"},
            {"product_id": "11", "quantity": 1, "price": "99.50"},
        ],
    )
    assert [e.product_id for e in events] == ["1", "11"]
    get_backend().flush()
    rows = Event.objects.filter(order_id="o-9").order_by("product_id")
    assert [(r.type, r.quantity, str(r.price), r.currency) for r in rows] == [
        ("purchase", 2, "10.00", "EUR"),
        ("purchase", 1, "99.50", "EUR"),
    ]


def test_track_order_with_a_bad_line_stores_nothing() -> None:
    with pytest.raises(InvalidEvent, match="Order line 2"):
        track_order(
            customer_id="42",
            order_id="o-9",
            lines=[{"product_id": "1"}, {"product_id": "1", "quantity": 0}],
        )
    assert get_backend().pending() == 0


def test_track_order_rejects_unknown_products_before_storing() -> None:
    with pytest.raises(UnknownProduct):
        track_order(
            customer_id="42", order_id="o-9", lines=[{"product_id": "1"}, {"product_id": "nope"}]
        )
    assert get_backend().pending() == 0


def test_purchase_clears_the_cart() -> None:
    track("cart_add", visitor_id="vis1", product_id="1")
    track_order(visitor_id="vis1", order_id="o-1", lines=[{"product_id": "1"}])
    assert get_realtime().cart("v:vis1") == []


def test_bulk_seeding_without_a_request_stores_every_historical_event() -> None:
    start = datetime.now(UTC) - timedelta(days=90)
    for i in range(2000):
        track(
            "view",
            visitor_id=f"v{i % 50}",
            product_id=str(i % 30 + 1),
            occurred_at=start + timedelta(minutes=i),
            validate_products=False,
        )
    get_backend().flush()  # the rest; full batches were flushed by size on the way
    assert Event.objects.count() == 2000
    assert CatalogAdapter.calls == []
    assert Event.objects.order_by("occurred_at").first().occurred_at == start


def test_batch_sends_redis_writes_when_the_block_ends(use_redis) -> None:
    from personalization_plugin.tracking.api import batch

    with batch(size=1000):
        for i in range(1, 11):
            track("view", visitor_id="vis1", product_id=str(i))
        assert get_backend().pending() == 0  # nothing sent yet
    assert get_backend().pending() == 10
    assert get_realtime().recently_viewed("v:vis1", n=3) == ["10", "9", "8"]
    get_backend().flush()
    assert Event.objects.count() == 10


def test_batch_sends_a_pipeline_every_size_events(use_redis) -> None:
    from personalization_plugin.tracking.api import batch

    with batch(size=4):
        for i in range(1, 10):
            track("view", visitor_id="vis1", product_id=str(i))
            if i == 8:
                assert get_backend().pending() == 8
    assert get_backend().pending() == 9


def test_batch_falls_back_to_the_local_buffer_when_redis_is_down(personalization) -> None:
    from personalization_plugin.tracking.api import batch
    from personalization_plugin.tracking.backends import get_local_backend

    personalization(REDIS_URL="redis://127.0.0.1:1/0")
    with batch():
        events = [track("view", visitor_id="vis1", product_id=str(i)) for i in range(1, 6)]
    get_local_backend().flush()
    assert set(Event.objects.values_list("event_id", flat=True)) == {e.event_id for e in events}
