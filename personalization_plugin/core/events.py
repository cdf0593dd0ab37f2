"""The event vocabulary and its validation.

A `TrackedEvent` is the plugin's one in-flight representation of something a
shopper did; it is what backends buffer and what `models.Event` stores.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from django.utils import timezone

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
PRODUCT_EVENTS = {
    EventType.VIEW,
    EventType.CART_ADD,
    EventType.CART_REMOVE,
    EventType.PURCHASE,
    EventType.IMPRESSION,
    EventType.CLICK,
}
MAX_ID_LENGTH = 128
MAX_POSITION = 2**31 - 1
MAX_PRICE = Decimal(10) ** 10


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
        return f"c:{self.customer_id}" if self.customer_id else f"v:{self.visitor_id}"

    def to_json(self) -> str:
        # A flat dict, not dataclasses.asdict(): that deep-copies and is ~5x slower on
        # the tracking hot path.
        return json.dumps(
            {name: getattr(self, name) for name in _FIELD_NAMES}, separators=(",", ":")
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> TrackedEvent:
        return cls(**json.loads(raw))


_FIELD_NAMES = tuple(f.name for f in fields(TrackedEvent))


def _clean_id(name: str, value: Any, required: bool = False) -> str:
    if value is None or value == "":
        if required:
            raise InvalidEvent(f"{name} is required for this event type.")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidEvent(f"{name} must be a string or an integer, got {type(value).__name__}.")
    text = str(value)
    if len(text) > MAX_ID_LENGTH:
        raise InvalidEvent(
            f"{name} is {len(text)} characters long; ids may be at most {MAX_ID_LENGTH}."
        )
    return text


def _text(name: str, value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidEvent(f"{name} must be a string, got {type(value).__name__}.")
    return value


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
    payload: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
    event_id: str | None = None,
) -> TrackedEvent:
    """Validate raw values into a TrackedEvent.

    Raises InvalidEvent with a message naming the offending field.
    """
    try:
        kind = EventType(type)
    except ValueError:
        known = ", ".join(t.value for t in EventType)
        raise InvalidEvent(f"Unknown event type {type!r}; use one of: {known}.") from None
    if not visitor_id:
        raise InvalidEvent(
            "visitor_id is required; take it from request.visitor (VisitorMiddleware)."
        )
    try:
        qty = int(quantity if quantity is not None else 1)
    except (TypeError, ValueError, OverflowError):
        raise InvalidEvent(f"quantity must be a whole number, got {quantity!r}.") from None
    if not 0 < qty <= 10_000:
        raise InvalidEvent(f"quantity must be between 1 and 10000, got {qty}.")
    price_text = ""
    if price is not None and price != "":
        try:
            dec = Decimal(str(price))
        except InvalidOperation:
            raise InvalidEvent(f"price must be a decimal number, got {price!r}.") from None
        if not dec.is_finite() or dec < 0:
            raise InvalidEvent(f"price must be a non-negative number, got {price!r}.")
        if dec >= MAX_PRICE:  # the column holds 12 digits, 2 after the point
            raise InvalidEvent(f"price must be below {MAX_PRICE}, got {price!r}.")
        price_text = str(dec)
    pos: int | None = None
    if position is not None and position != "":
        try:
            pos = int(position)
        except (TypeError, ValueError, OverflowError):
            raise InvalidEvent(f"position must be a whole number, got {position!r}.") from None
        if not 0 <= pos <= MAX_POSITION:  # beyond the column's range a flush would fail
            raise InvalidEvent(f"position must be between 0 and {MAX_POSITION}, got {pos}.")
    when = occurred_at or timezone.now()
    if timezone.is_naive(when):
        raise InvalidEvent("occurred_at must be timezone-aware.")
    if kind == EventType.SEARCH and not query:
        raise InvalidEvent("A search event needs the query text.")
    event = TrackedEvent(
        type=kind.value,
        visitor_id=_clean_id("visitor_id", visitor_id, required=True),
        customer_id=_clean_id("customer_id", customer_id),
        product_id=_clean_id("product_id", product_id, required=kind in PRODUCT_EVENTS),
        category_id=_clean_id("category_id", category_id, required=kind == EventType.CATEGORY_VIEW),
        session_id=_clean_id("session_id", session_id),
        order_id=_clean_id("order_id", order_id, required=kind == EventType.PURCHASE),
        query=_text("query", query)[:200],
        quantity=qty,
        price=price_text,
        currency=_text("currency", currency)[:3].upper(),
        placement=_text("placement", placement)[:64],
        model_version=_text("model_version", model_version)[:64],
        position=pos,
        payload=payload or {},
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
