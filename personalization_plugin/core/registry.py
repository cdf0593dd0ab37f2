"""Registries through which higher layers plug into intake and erasure.

Tracking tells listeners about every event it accepts and asks erased-lookups whether a
visitor was forgotten; erasure calls every eraser; serving asks the category-mute sources
what a shopper asked not to see. All
live here, below the layers that register (segments, engine, serving, integrations), so
that intake and privacy never import the modules that listen to them. Registration happens
in each app's `AppConfig.ready()`, never at import time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from personalization_plugin.core.events import TrackedEvent

Listener = Callable[["TrackedEvent", tuple[str, ...]], None]
Eraser = Callable[[set[str]], int]
ErasedLookup = Callable[[set[str]], set[str]]

logger = logging.getLogger("personalization_plugin.tracking")
_listeners: list[Listener] = []
_erasers: list[Eraser] = []
_erased_lookups: list[ErasedLookup] = []


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


def register_eraser(func: Eraser) -> Eraser:
    """Register `func(subjects) -> int` to be called by every erasure. Usable as a decorator.

    `subjects` are subject keys (see `core.subjects`); the function returns how many
    things it removed and raises if it could not finish (erasure then reports itself
    incomplete and can be run again)."""
    if func not in _erasers:
        _erasers.append(func)
    return func


def unregister_eraser(func: Eraser) -> None:
    """Undo `register_eraser` (tests, or an app that is switched off)."""
    if func in _erasers:
        _erasers.remove(func)


def erasers() -> list[Eraser]:
    """The registered erasers, in registration order (a copy)."""
    return list(_erasers)


def register_erased_lookup(func: ErasedLookup) -> None:
    """Register `func(subjects) -> the erased ones` (privacy's permanent erasure record),
    which the intake consults so that a forgotten visitor id is not tracked again."""
    if func not in _erased_lookups:
        _erased_lookups.append(func)


def erased(subjects: set[str]) -> set[str]:
    """Which of these subjects any registered lookup knows to be erased (may query the
    database: callers cache). Raises what a lookup raises."""
    found: set[str] = set()
    for func in _erased_lookups:
        found |= func(set(subjects))
    return found


# Category ids a shopper asked not to be shown ("show me less of this category"). The
# privacy layer registers the source; serving asks it without importing privacy.
CategoryMutes = Callable[[Any], set[str]]
_category_mutes: list[CategoryMutes] = []


def register_category_mutes(func: CategoryMutes) -> CategoryMutes:
    """Register `func(visitor) -> set of category ids` that serving must leave out for
    that shopper (idempotent; usable as a decorator)."""
    if func not in _category_mutes:
        _category_mutes.append(func)
    return func


def unregister_category_mutes(func: CategoryMutes) -> None:
    if func in _category_mutes:
        _category_mutes.remove(func)


def muted_categories(visitor: Any) -> set[str]:
    """The union of every registered source; a failing source is logged and skipped, so a
    preference store that is down never breaks a storefront list."""
    muted: set[str] = set()
    for func in _category_mutes:
        try:
            muted |= set(func(visitor))
        except Exception as exc:
            logger.error(
                "Category-mute source %s failed with %s; serving without it.",
                getattr(func, "__qualname__", func),
                type(exc).__name__,
            )
    return muted


# The segments a shopper is in (slugs), for merchandising rules limited to one segment.
# The segments app registers the source; serving asks it without importing segments.
SegmentSource = Callable[[Any], set[str]]
_segment_sources: list[SegmentSource] = []


def register_segment_source(func: SegmentSource) -> SegmentSource:
    """Register `func(visitor) -> set of segment slugs` (idempotent; usable as a decorator)."""
    if func not in _segment_sources:
        _segment_sources.append(func)
    return func


def unregister_segment_source(func: SegmentSource) -> None:
    if func in _segment_sources:
        _segment_sources.remove(func)


def segments_of(visitor: Any) -> set[str]:
    """The union of every registered source; a failing source is logged and skipped, so
    segment-scoped rules then apply to nobody rather than breaking a storefront list."""
    found: set[str] = set()
    for func in _segment_sources:
        try:
            found |= set(func(visitor))
        except Exception as exc:
            logger.error(
                "Segment source %s failed with %s; serving without segment rules.",
                getattr(func, "__qualname__", func),
                type(exc).__name__,
            )
    return found
