"""Keep cached profiles current from accepted events, and wire erasure.

Connected once from `SegmentsConfig.ready()` (`connect()`). No tracking listener: every
event `track()` accepts, whichever way it came in, is queued for the shopper's profile
in the same Redis script as the rest of the real-time state (`profiles.store` folds the
queue when the profile is read), so intake pays no extra round trip and the next
request's membership already reflects the event.
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


@_safe
def on_visitor_merged(visitor_id: str = "", customer_id: str = "", **kwargs: Any) -> None:
    """The customer's history just grew by the visitor's: rebuild from stored events (the
    visitor's queued profile events already moved to the customer with the real-time state)."""
    from personalization_plugin.profiles import store

    store.invalidate(subject_keys.keys_of(visitor_id, customer_id))


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
    from personalization_plugin.core.registry import register_eraser, register_segment_source
    from personalization_plugin.segments.models import Segment

    signals.visitor_merged.connect(
        on_visitor_merged, dispatch_uid="personalization.segments.on_visitor_merged"
    )
    _connected.append(on_visitor_merged)
    post_save.connect(
        on_segment_changed, sender=Segment, dispatch_uid="personalization.segments.saved"
    )
    post_delete.connect(
        on_segment_changed, sender=Segment, dispatch_uid="personalization.segments.deleted"
    )
    register_eraser(erase_segment_data)
    register_segment_source(segment_slugs_of)


def segment_slugs_of(visitor: Any) -> set[str]:
    """The shopper's segments for merchandising rules limited to a segment (no request
    facts: serving knows the visitor, not the request, so device/time rules do not count)."""
    from personalization_plugin.segments.engine import slugs_for

    if visitor is None:
        return set()
    return set(slugs_for(visitor=visitor))
