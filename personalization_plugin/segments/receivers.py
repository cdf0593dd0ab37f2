"""Keep cached profiles current from the store's signals, and wire erasure.

Connected once when the plugin's models load (`connect()`): each store signal folds the
new event into the shopper's cached profile right away (the stored event reaches the
database later, in a batch), so the next request's membership already reflects it.
Receivers never raise, and do nothing for shoppers who may not be tracked.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.db.models.signals import post_delete, post_save

from .. import signals

logger = logging.getLogger("personalization_plugin.segments")
_connected: list[Any] = []


def _who(kwargs: dict[str, Any]) -> str | None:
    """The subject of a store signal, or None when it must not be tracked."""
    from ..tracking.identity import Visitor, get_visitor

    request = kwargs.get("request")
    visitor = kwargs.get("visitor")
    if visitor is None and request is not None:
        visitor = get_visitor(request)
    if visitor is None:
        customer_id = str(kwargs.get("customer_id") or "")
        visitor_id = str(kwargs.get("visitor_id") or "")
        if not customer_id and not visitor_id:
            return None
        from ..privacy.consent import stored_consent

        visitor = Visitor(visitor_id=visitor_id or f"cust-{customer_id}", customer_id=customer_id)
        visitor.consent = stored_consent(visitor)
    return visitor.subject if visitor.can_track else None


def _category(kwargs: dict[str, Any]) -> str:
    if kwargs.get("category_id"):
        return str(kwargs["category_id"])
    from .profile import view_categories

    pid = str(kwargs.get("product_id") or "")
    return view_categories([pid]).get(pid, "")


def _safe(func: Callable[..., None]) -> Callable[..., None]:
    def receiver(sender: Any, **kwargs: Any) -> None:
        try:
            func(**kwargs)
        except Exception as exc:
            logger.error("Segment profile not updated after %s.", type(exc).__name__)

    receiver.__name__ = func.__name__
    return receiver


def _known(product_ids: list[str]) -> bool:
    """Whether every product exists: tracking drops events for unknown products, and the
    profile must not count what was never stored."""
    from ..exceptions import UnknownProduct
    from ..tracking.products import require_products

    try:
        require_products([p for p in product_ids if p])
    except UnknownProduct:
        return False
    return True


def _event(type: str) -> Callable[..., None]:
    def handle(**kwargs: Any) -> None:
        from . import store

        subject = _who(kwargs)
        if subject is None or not _known([str(kwargs.get("product_id") or "")]):
            return
        fields: dict[str, Any] = {"ts": _ts(kwargs)}
        if kwargs.get("product_id"):
            fields["product_id"] = str(kwargs["product_id"])
        if type in ("view", "category_view"):
            fields["category_id"] = _category(kwargs)
        if type == "search":
            fields["query"] = str(kwargs.get("query") or "")
        store.apply(subject, type, **fields)

    handle.__name__ = f"on_{type}"
    return _safe(handle)


def _ts(kwargs: dict[str, Any]) -> float:
    when = kwargs.get("occurred_at")
    return when.timestamp() if when is not None else time.time()


@_safe
def on_order_placed(**kwargs: Any) -> None:
    from . import store

    subject = _who(kwargs)
    lines = list(kwargs.get("lines") or [])
    if subject is None or not _known([str(line.get("product_id") or "") for line in lines]):
        return
    for line in lines:
        store.apply(
            subject,
            "purchase",
            ts=_ts(kwargs),
            product_id=str(line.get("product_id") or ""),
            order_id=str(kwargs.get("order_id") or ""),
            quantity=line.get("quantity") or 1,
            price=line.get("price"),
        )


def on_tracked(event: Any, categories: tuple[str, ...] = ()) -> None:
    """Fold one accepted `TrackedEvent` into its subject's cached profile.

    For intake paths that call `track()` without a store signal (the tracking script's
    endpoint, GraphQL `trackEvent`): the tracking API can call this right after it accepted
    an event. Never raises.
    """
    from datetime import datetime

    from . import store

    try:
        category = event.category_id or (categories[0] if categories else "")
        store.apply(
            event.subject,
            event.type,
            ts=datetime.fromisoformat(event.occurred_at).timestamp(),
            product_id=event.product_id,
            category_id=category if event.type in ("view", "category_view") else "",
            order_id=event.order_id,
            query=event.query,
            quantity=event.quantity,
            price=event.price or None,
        )
    except Exception as exc:
        logger.error("Segment profile not updated after %s.", type(exc).__name__)


@_safe
def on_visitor_merged(visitor_id: str = "", customer_id: str = "", **kwargs: Any) -> None:
    """The customer's history just grew by the visitor's: rebuild from stored events."""
    from . import store

    store.forget({f"v:{visitor_id}", f"c:{customer_id}"})


def on_segment_changed(sender: Any, **kwargs: Any) -> None:
    from . import store

    store.bump_version()


def erase_segment_data(subjects: set[str]) -> int:
    """Eraser: cached profiles and the trigger ledger of the erased shopper."""
    from ..triggers.models import TriggerFiring
    from . import store

    removed = store.forget(subjects)
    removed += TriggerFiring.objects.filter(subject__in=subjects).delete()[0]
    return removed


def connect() -> None:
    """Connect the receivers (idempotent)."""
    if _connected:
        return
    from ..privacy.erasure import register_eraser
    from .models import Segment

    pairs = [
        (signals.product_viewed, _event("view")),
        (signals.category_viewed, _event("category_view")),
        (signals.search_performed, _event("search")),
        (signals.cart_item_added, _event("cart_add")),
        (signals.cart_item_removed, _event("cart_remove")),
        (signals.order_placed, on_order_placed),
        (signals.visitor_merged, on_visitor_merged),
    ]
    for signal, receiver in pairs:
        signal.connect(receiver, dispatch_uid=f"personalization.segments.{receiver.__name__}")
        _connected.append(receiver)
    post_save.connect(
        on_segment_changed, sender=Segment, dispatch_uid="personalization.segments.saved"
    )
    post_delete.connect(
        on_segment_changed, sender=Segment, dispatch_uid="personalization.segments.deleted"
    )
    register_eraser(erase_segment_data)
