"""What serving reads from the real-time store, typed, and never failing a page.

A leaf of serving: the cache, the fallback sources and the placements all read recent
items, carts and trending through these functions. An outage (Redis down, the store
unreachable) gives an empty answer and is logged once per process, not per request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from personalization_plugin.core import request_scope
from personalization_plugin.tracking.realtime import RealtimeStore, get_realtime

logger = logging.getLogger("personalization_plugin.serving")

RECENT_ITEMS = 10  # how many of the shopper's recent items steer a personal list
T = TypeVar("T")
_warned: set[str] = set()


def warn_once(key: str, message: str, *args: Any) -> None:
    """Log a degraded dependency once per process, not once per request."""
    if key not in _warned:
        _warned.add(key)
        logger.warning(message, *args)


def _read(what: str, read: Callable[[RealtimeStore], list[T]]) -> list[T]:
    try:
        return list(read(get_realtime()))
    except Exception as exc:
        warn_once(f"realtime-{what}", "Real-time %s failed (%s); serving without it", what, exc)
        return []


def _memo(key: tuple[str, ...], read: Callable[[], list[str]]) -> list[str]:
    """A shopper's real-time state, read once per request (`core.request_scope`): a
    partial's own list and the lists above it ask the same questions. Any write to the
    real-time store during the request drops the memo. A copy, so callers may change it."""
    return list(request_scope.memo(("realtime", *key), read))


def recent_items(subject: str, n: int = RECENT_ITEMS) -> list[str]:
    """The shopper's recent items (views, cart adds, purchases), newest first."""
    return _memo(
        ("recent_items", subject, str(n)),
        lambda: [str(p) for p in _read("recent_items", lambda s: s.recent_items(subject, n=n))],
    )


def recently_viewed(subject: str, n: int) -> list[str]:
    """The shopper's recently viewed products, newest first."""
    return _memo(
        ("recently_viewed", subject, str(n)),
        lambda: [
            str(p) for p in _read("recently_viewed", lambda s: s.recently_viewed(subject, n=n))
        ],
    )


def cart(subject: str) -> list[str]:
    """The products in the shopper's cart as the real-time store saw them."""
    return _memo(
        ("cart", subject), lambda: [str(p) for p in _read("cart", lambda s: s.cart(subject))]
    )


def trending(n: int, category_id: str | None = None) -> list[tuple[str, float]]:
    """Store-wide (or one category's) trending products with their decayed scores."""
    return _read("trending", lambda s: s.trending(n=n, category_id=category_id))


def forget_warnings() -> None:
    """Log the next outage again (tests)."""
    _warned.clear()
