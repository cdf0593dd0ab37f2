"""`core.events` is the one event schema: what it says is what every surface enforces."""

from __future__ import annotations

from decimal import Decimal

import pytest

from personalization_plugin.core import events
from personalization_plugin.core.events import (
    STOREFRONT_EVENTS,
    EventType,
    build_event,
    clean_price,
    clean_quantity,
)
from personalization_plugin.core.exceptions import InvalidEvent
from personalization_plugin.models import Event


def test_the_event_model_offers_exactly_the_event_types() -> None:
    choices = Event._meta.get_field("type").choices
    assert [value for value, _ in choices] == [t.value for t in EventType]


def test_every_event_type_fits_the_type_column() -> None:
    assert max(len(t.value) for t in EventType) <= Event._meta.get_field("type").max_length


@pytest.mark.parametrize(
    ("column", "limit"),
    [
        ("visitor_id", events.MAX_ID_LENGTH),
        ("product_id", events.MAX_ID_LENGTH),
        ("order_id", events.MAX_ID_LENGTH),
        ("query", events.MAX_QUERY_LENGTH),
        ("placement", events.MAX_LABEL_LENGTH),
        ("currency", events.CURRENCY_LENGTH),
    ],
)
def test_event_columns_are_sized_by_the_schema(column: str, limit: int) -> None:
    assert Event._meta.get_field(column).max_length == limit


def test_the_largest_valid_price_fits_the_price_column() -> None:
    field = Event._meta.get_field("price")
    largest = events.MAX_PRICE - Decimal("0.01")
    assert len(largest.as_tuple().digits) == field.max_digits
    with pytest.raises(InvalidEvent, match="price must be below"):
        clean_price(events.MAX_PRICE)


def test_a_storefront_cannot_report_checkouts_or_purchases() -> None:
    assert EventType.PURCHASE not in STOREFRONT_EVENTS
    assert EventType.CHECKOUT not in STOREFRONT_EVENTS


@pytest.mark.parametrize("value", [0, events.MAX_QUANTITY + 1, "two", float("inf")])
def test_a_quantity_out_of_range_or_not_a_number_is_refused(value: object) -> None:
    with pytest.raises(InvalidEvent, match="quantity must be"):
        clean_quantity(value)


def test_an_absent_quantity_is_one() -> None:
    assert clean_quantity(None) == 1


@pytest.mark.parametrize("value", ["-1", "nan", "Infinity", "abc"])
def test_a_negative_or_non_numeric_price_is_refused(value: str) -> None:
    with pytest.raises(InvalidEvent, match="price must be"):
        clean_price(value)


def test_the_recommendation_id_is_kept_in_the_payload_and_cut_to_label_length() -> None:
    event = build_event(
        "click",
        visitor_id="v1",
        product_id="p1",
        recommendation_id="r" * 100,
        payload={"source": "test"},
    )
    assert event.payload == {"source": "test", "recommendation_id": "r" * events.MAX_LABEL_LENGTH}


def test_an_empty_recommendation_id_adds_nothing_to_the_payload() -> None:
    assert (
        build_event("click", visitor_id="v1", product_id="p1", recommendation_id="").payload == {}
    )
