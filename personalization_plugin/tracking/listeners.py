"""Listeners told about every event `track()` accepts, for modules to the right of intake.

Segments keep each shopper's cached profile current this way, whatever the path the event
came in by (store signal, tracking script, GraphQL mutation, server-side `track()`), without
tracking importing them. Listeners are not called inside `tracking.api.batch()`: imports
are history, and whatever listens rebuilds from stored events.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from .events import TrackedEvent

Listener = Callable[[TrackedEvent, tuple[str, ...]], None]
logger = logging.getLogger("personalization_plugin.tracking")
_listeners: list[Listener] = []


def register_listener(func: Listener) -> None:
    """Call `func(event, category_ids)` after each accepted event (idempotent)."""
    if func not in _listeners:
        _listeners.append(func)


def notify(event: TrackedEvent, categories: tuple[str, ...]) -> None:
    """Tell every listener; a failing listener is logged (type only) and never fails intake."""
    for func in _listeners:
        try:
            func(event, categories)
        except Exception as exc:
            logger.error(
                "Event listener %s failed with %s; the event itself was kept.",
                getattr(func, "__qualname__", func),
                type(exc).__name__,
            )
