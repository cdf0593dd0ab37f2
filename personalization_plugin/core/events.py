"""The event vocabulary and its validation: the one home of the event schema.

A `TrackedEvent` is the plugin's one in-flight representation of something a
shopper did; it is what backends buffer and what `models.Event` stores. Everything
else that names event types, required fields or field limits derives from here: the
`Event` model's choices and column sizes, the browser intake, the GraphQL mutation, the
store-signal receivers and the CSV reader (`core.csv_events`).
"""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from django.utils import timezone

from personalization_plugin.core import subjects
from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.core.exceptions import InvalidEvent


class EventType(StrEnum):
    VIEW = "view"  # product viewed
    CATEGORY_VIEW = "category_view"
    SEARCH = "search"
    CART_ADD = "cart_add"
    CART_REMOVE = "cart_remove"
    CHECKOUT = "checkout"  # checkout started
    PURCHASE = "purchase"  # one order line of a placed order
    IMPRESSION = "impression"  # a recommended item was seen
    CLICK = "click"  # a recommended item was clicked


# Event types that must name a product.
PRODUCT_EVENTS = frozenset(
    {
        EventType.VIEW,
        EventType.CART_ADD,
        EventType.CART_REMOVE,
        EventType.PURCHASE,
        EventType.IMPRESSION,
        EventType.CLICK,
    }
)
# What a storefront (the browser tracker, a headless GraphQL client) may report.
# Checkouts and purchases are not among them: orders come from the store's server code
# (`track_order`), so a shopper cannot forge a sale.
STOREFRONT_EVENTS = frozenset(
    {
        EventType.VIEW,
        EventType.CATEGORY_VIEW,
        EventType.SEARCH,
        EventType.CART_ADD,
        EventType.CART_REMOVE,
        EventType.IMPRESSION,
        EventType.CLICK,
    }
)
# What a shopper did to a product that a recommendation model learns from (each has a
# weight in EVENT_WEIGHTS; impressions are exposure, not interest).
INTERACTION_EVENTS: tuple[EventType, ...] = (
    EventType.VIEW,
    EventType.CLICK,
    EventType.CART_ADD,
    EventType.CART_REMOVE,
    EventType.CHECKOUT,
    EventType.PURCHASE,
)
# What a shopper profile (segments, scores) is folded from: shopper intent, not exposure.
ACTIVITY_EVENTS: tuple[EventType, ...] = (
    EventType.VIEW,
    EventType.CATEGORY_VIEW,
    EventType.SEARCH,
    EventType.CART_ADD,
    EventType.CART_REMOVE,
    EventType.PURCHASE,
)
# The fields a storefront may send with those events; anything else it sends is ignored.
STOREFRONT_FIELDS = (
    "product_id",
    "category_id",
    "query",
    "quantity",
    "placement",
    "model_version",
    "position",
    "recommendation_id",
)

# Field limits. `models.Event` sizes its columns from these, so a validated event always
# fits its row.
MAX_ID_LENGTH = 128  # visitor, customer, product, category, session and order ids
MAX_QUERY_LENGTH = 200  # longer search text is cut, not refused
MAX_LABEL_LENGTH = 64  # placement, model_version, recommendation_id: cut, not refused
CURRENCY_LENGTH = 3  # ISO 4217
MAX_QUANTITY = 10_000
MAX_POSITION = 2**31 - 1
PRICE_MAX_DIGITS = 12
PRICE_DECIMAL_PLACES = 2
MAX_PRICE = Decimal(10) ** (PRICE_MAX_DIGITS - PRICE_DECIMAL_PLACES)


@dataclass
class TrackedEvent:
    """One validated event, ready to buffer and store."""

    type: str
    visitor_id: str
    customer_id: str = ""
    product_id: str = ""
    category_id: str = ""
    session_id: str = ""
    order_id: str = ""
    query: str = ""
    quantity: int = 1
    price: str = ""  # decimal as string, "" when unknown: survives JSON round trips exactly
    currency: str = ""
    placement: str = ""
    model_version: str = ""
    position: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    occurred_at: str = ""  # ISO 8601 with timezone
    event_id: str = ""

    @property
    def subject(self) -> str:
        """The key a recommendation model learns for: the customer if known, else the visitor."""
        return subjects.of(self.customer_id, self.visitor_id)

    @property
    def subjects(self) -> set[str]:
        """Every subject key the event is stored under: its visitor, and its customer."""
        return subjects.keys_of(self.visitor_id, self.customer_id)

    def to_json(self) -> str:
        # A flat dict, not dataclasses.asdict(): that deep-copies and is ~5x slower on
        # the tracking hot path.
        return json.dumps(
            {name: getattr(self, name) for name in EVENT_FIELD_NAMES}, separators=(",", ":")
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> TrackedEvent:
        """The event `to_json` wrote. Raises ValueError (TypeError for unknown fields) for
        anything else, e.g. a hand-written buffer entry whose visitor_id is a list: such an
        entry must be set aside, not break the flush of the batch it arrived in."""
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError(f"An event entry must be a JSON object, got {type(data).__name__}.")
        event = cls(**data)
        for name, kinds in _FIELD_TYPES.items():
            if not isinstance(getattr(event, name), kinds) or isinstance(
                getattr(event, name), bool
            ):
                raise ValueError(f"Event entry field {name} has the wrong type.")
        return event


EVENT_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(TrackedEvent))
# What each field of a buffered entry must hold (checked when it is read back).
_FIELD_TYPES: dict[str, type | tuple[type, ...]] = {
    **{name: str for name in EVENT_FIELD_NAMES},
    "quantity": int,
    "position": (int, type(None)),
    "payload": dict,
}


def shown(value: Any, limit: int = 40) -> str:
    """`value` quoted for an error message, cut so a hostile field cannot flood the log."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(str(value))} characters)"


def storable(name: str, text: str) -> str:
    """`text` unchanged if every database can store it; raises InvalidEvent naming the field.

    A NUL character (PostgreSQL refuses it in text and JSON) or an unpaired UTF-16
    surrogate such as "\\ud800" (not encodable as UTF-8, so no database driver can send it)
    would make the whole batch holding the event fail to store. Both are refused on every
    database, so an event behaves the same wherever it is stored.
    """
    if text.isascii() and "\x00" not in text:  # the usual case, checked cheaply
        return text
    if "\x00" in text:
        raise InvalidEvent(
            f"{name} contains a NUL character (\\u0000), which cannot be stored; remove it."
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidEvent(
            f"{name} contains an unpaired surrogate ({text[exc.start]!a}) at position "
            f"{exc.start}, which is not valid Unicode text; send well-formed UTF-8."
        ) from None
    return text


def storable_payload(name: str, value: Any) -> Any:
    """`value` unchanged if every string in it (keys too) is storable; raises InvalidEvent
    naming the path of the first bad string, e.g. `payload.items[2]`."""
    if isinstance(value, str):
        return storable(name, value)
    if isinstance(value, float) and not math.isfinite(value):  # JSON has no NaN/Infinity
        raise InvalidEvent(f"{name} is {value}; JSON columns hold finite numbers only.")
    if isinstance(value, dict):
        for key, item in value.items():
            storable(f"{name} key {shown(key)}", str(key))
            storable_payload(f"{name}.{str(key)[:32]!a}", item)
    elif isinstance(value, list | tuple):
        for number, item in enumerate(value):
            storable_payload(f"{name}[{number}]", item)
    return value


def clean_id(name: str, value: Any, required: bool = False) -> str:
    """An id as text of at most MAX_ID_LENGTH characters ("" when absent and not required).

    Raises InvalidEvent naming the field.
    """
    if value is None or value == "":
        if required:
            raise InvalidEvent(f"{name} is required for this event type.")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidEvent(f"{name} must be a string or an integer, got {type(value).__name__}.")
    text = storable(name, str(value))
    if len(text) > MAX_ID_LENGTH:
        raise InvalidEvent(
            f"{name} is {len(text)} characters long; ids may be at most {MAX_ID_LENGTH}."
        )
    return text


def _with_recommendation(payload: dict[str, Any] | None, recommendation_id: Any) -> dict[str, Any]:
    storable_payload("payload", payload or {})
    if not recommendation_id:
        return payload or {}
    label = storable("recommendation_id", str(recommendation_id))[:MAX_LABEL_LENGTH]
    return {**(payload or {}), "recommendation_id": label}


def _text(name: str, value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidEvent(f"{name} must be a string, got {type(value).__name__}.")
    return storable(name, value)


def clean_quantity(value: Any) -> int:
    """A quantity as an int in 1..MAX_QUANTITY; None means 1. Raises InvalidEvent."""
    if value is None:
        return 1
    try:
        qty = int(value)
    except (TypeError, ValueError, OverflowError):
        raise InvalidEvent(f"quantity must be a whole number, got {shown(value)}.") from None
    if not 0 < qty <= MAX_QUANTITY:
        raise InvalidEvent(f"quantity must be between 1 and {MAX_QUANTITY}, got {qty}.")
    return qty


def clean_price(value: Any) -> Decimal | None:
    """A price as a non-negative Decimal below MAX_PRICE, or None when absent.

    Raises InvalidEvent naming the bad value.
    """
    if value is None or value == "":
        return None
    try:
        dec = Decimal(str(value))
    except InvalidOperation:
        raise InvalidEvent(f"price must be a decimal number, got {shown(value)}.") from None
    if not dec.is_finite() or dec < 0:
        raise InvalidEvent(f"price must be a non-negative number, got {shown(value)}.")
    if dec >= MAX_PRICE:  # the column holds PRICE_MAX_DIGITS digits
        raise InvalidEvent(f"price must be below {MAX_PRICE}, got {shown(value)}.")
    return dec


def build_event(
    type: str,
    *,
    visitor_id: str,
    customer_id: Any = None,
    product_id: Any = None,
    category_id: Any = None,
    session_id: Any = None,
    order_id: Any = None,
    query: str | None = None,
    quantity: Any = 1,
    price: Any = None,
    currency: str | None = None,
    placement: str | None = None,
    model_version: str | None = None,
    position: Any = None,
    recommendation_id: Any = None,
    payload: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
    event_id: str | None = None,
) -> TrackedEvent:
    """Validate raw values into a TrackedEvent.

    `recommendation_id` has no column of its own: it is kept in `payload`, where
    attribution reads it. Raises InvalidEvent with a message naming the offending field.
    """
    try:
        kind = EventType(type)
    except ValueError:
        known = ", ".join(t.value for t in EventType)
        raise InvalidEvent(f"Unknown event type {shown(type)}; use one of: {known}.") from None
    if not visitor_id:
        raise InvalidEvent(
            "visitor_id is required; take it from request.visitor (VisitorMiddleware)."
        )
    qty = clean_quantity(quantity)
    dec = clean_price(price)
    price_text = "" if dec is None else str(dec)
    pos: int | None = None
    if position is not None and position != "":
        try:
            pos = int(position)
        except (TypeError, ValueError, OverflowError):
            raise InvalidEvent(f"position must be a whole number, got {shown(position)}.") from None
        if not 0 <= pos <= MAX_POSITION:  # beyond the column's range a flush would fail
            raise InvalidEvent(f"position must be between 0 and {MAX_POSITION}, got {pos}.")
    when = occurred_at or timezone.now()
    if timezone.is_naive(when):
        raise InvalidEvent("occurred_at must be timezone-aware.")
    if kind == EventType.SEARCH and not query:
        raise InvalidEvent("A search event needs the query text.")
    event = TrackedEvent(
        type=kind.value,
        visitor_id=clean_id("visitor_id", visitor_id, required=True),
        customer_id=clean_id("customer_id", customer_id),
        product_id=clean_id("product_id", product_id, required=kind in PRODUCT_EVENTS),
        category_id=clean_id("category_id", category_id, required=kind == EventType.CATEGORY_VIEW),
        session_id=clean_id("session_id", session_id),
        order_id=clean_id("order_id", order_id, required=kind == EventType.PURCHASE),
        query=_text("query", query)[:MAX_QUERY_LENGTH],
        quantity=qty,
        price=price_text,
        currency=_text("currency", currency)[:CURRENCY_LENGTH].upper(),
        placement=_text("placement", placement)[:MAX_LABEL_LENGTH],
        model_version=_text("model_version", model_version)[:MAX_LABEL_LENGTH],
        position=pos,
        payload=_with_recommendation(payload, recommendation_id),
        occurred_at=when.isoformat(),
        event_id=event_id or uuid.uuid4().hex,
    )
    size = len(event.to_json())
    limit = plugin_settings.MAX_EVENT_BYTES
    if size > limit:
        raise InvalidEvent(
            f"Event is {size} bytes; the limit is {limit} (PERSONALIZATION['MAX_EVENT_BYTES']). "
            "Send less in payload."
        )
    return event
