"""Keep cached profiles current from accepted events, and wire erasure.

Connected once from `SegmentsConfig.ready()` (`connect()`): every event `track()` accepts,
whichever way it came in (store signal, tracking script, GraphQL, server-side call), is
folded into the shopper's cached profile right away through a tracking listener (the
stored event reaches the database later, in a batch), so the next request's membership
already reflects it. `track()` has already checked consent and the product ids.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db.models.signals import post_delete, post_migrate, post_save

from personalization_plugin import signals
from personalization_plugin.core import subjects as subject_keys

logger = logging.getLogger("personalization_plugin.segments")
_connected: list[Any] = []


def _safe(func: Callable[..., None]) -> Callable[..., None]:
    def receiver(sender: Any = None, **kwargs: Any) -> None:
        try:
            func(**kwargs)
        except Exception as exc:
            logger.error("Segment profile not updated after %s.", type(exc).__name__)

    receiver.__name__ = func.__name__
    return receiver


def on_tracked(event: Any, categories: tuple[str, ...] = ()) -> None:
    """Fold one accepted `TrackedEvent` into its subject's cached profile.

    Registered as a tracking listener, so it sees events from every intake path. A
    shopper with no cached profile is left alone: the profile is built from stored events
    when a page first asks for their segments, so intake never pays for a rebuild.
    Never raises.
    """
    from datetime import datetime

    from personalization_plugin.profiles import store

    try:
        category = event.category_id or (categories[0] if categories else "")
        store.apply_if_cached(
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
    from personalization_plugin.profiles import store

    store.forget(subject_keys.keys_of(visitor_id, customer_id))


def on_segment_changed(sender: Any, **kwargs: Any) -> None:
    from personalization_plugin.profiles import store

    store.bump_version()


def erase_segment_data(subjects: set[str]) -> int:
    """Eraser: the erased shopper's cached profiles."""
    from personalization_plugin.profiles import store

    return int(store.forget(subjects))


def create_builtin_segments(sender: Any = None, **kwargs: Any) -> None:
    """`post_migrate`: the built-in segments, created while none exists (never on a read)."""
    from personalization_plugin.segments.builtins import ensure_builtins

    ensure_builtins(using=kwargs.get("using", "default"))


def connect(app_config: Any = None) -> None:
    """Connect the receivers (idempotent); called from `SegmentsConfig.ready()`."""
    if _connected:
        return
    post_migrate.connect(
        create_builtin_segments, sender=app_config, dispatch_uid="sp-segments-builtins"
    )
    from personalization_plugin.core.registry import register_eraser, register_listener
    from personalization_plugin.segments.models import Segment

    signals.visitor_merged.connect(
        on_visitor_merged, dispatch_uid="personalization.segments.on_visitor_merged"
    )
    _connected.append(on_visitor_merged)
    register_listener(on_tracked)
    post_save.connect(
        on_segment_changed, sender=Segment, dispatch_uid="personalization.segments.saved"
    )
    post_delete.connect(
        on_segment_changed, sender=Segment, dispatch_uid="personalization.segments.deleted"
    )
    register_eraser(erase_segment_data)
