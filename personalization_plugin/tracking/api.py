"""The public tracking API: `track()` for one event, `track_order()` for a whole order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest

from .events import TrackedEvent
from .identity import Visitor


def track(
    type: str,
    *,
    request: HttpRequest | None = None,
    visitor: Visitor | None = None,
    visitor_id: str | None = None,
    customer_id: str | None = None,
    occurred_at: datetime | None = None,
    validate_products: bool = True,
    **fields: Any,
) -> TrackedEvent | None:
    """Record one shopper event (skeleton; implementation follows)."""
    raise NotImplementedError


def track_order(
    *,
    request: HttpRequest | None = None,
    visitor: Visitor | None = None,
    visitor_id: str | None = None,
    customer_id: str | None = None,
    order_id: str,
    lines: list[dict[str, Any]],
    currency: str = "",
    occurred_at: datetime | None = None,
    validate_products: bool = True,
) -> list[TrackedEvent]:
    """Record every line of a placed order as a purchase event (skeleton)."""
    raise NotImplementedError
