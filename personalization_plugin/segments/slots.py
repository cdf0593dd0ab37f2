"""Named slots: a `SegmentVariantsBlock` with a slot name, found on live pages.

The lazy partial and GraphQL `personalizedSlot(name)` find the block by name and render
the same choice the page would. Lookups are cached per process for a short time.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from personalization_plugin.core.exceptions import UnknownSlot
from personalization_plugin.segments.blocks import SegmentVariantsBlock, render_variant

CACHE_SECONDS = 30.0
MAX_PAGES = 500
_lock = threading.Lock()
_cache: dict[str, tuple[float, tuple[Any, Any] | None]] = {}


def _search(name: str) -> tuple[Any, Any] | None:
    from wagtail.fields import StreamField
    from wagtail.models import Page

    for page in Page.objects.live().specific()[:MAX_PAGES]:
        for field in page._meta.get_fields():
            if not isinstance(field, StreamField):
                continue
            for child in getattr(page, field.name) or ():
                if (
                    isinstance(child.block, SegmentVariantsBlock)
                    and child.value.get("slot") == name
                ):
                    return child.block, child.value
    return None


def find(name: str) -> tuple[SegmentVariantsBlock, Any]:
    """(block, value) of the slot `name`. Raises UnknownSlot."""
    now = time.monotonic()
    with _lock:
        hit = _cache.get(name)
    if hit is None or hit[0] < now:
        found = _search(name)
        with _lock:
            _cache[name] = (now + CACHE_SECONDS, found)
    else:
        found = hit[1]
    if found is None:
        raise UnknownSlot(
            f"No live page has a 'Content per segment' block with slot name {name!r}; "
            "set the slot name on the block and publish the page."
        )
    return found


def forget() -> None:
    with _lock:
        _cache.clear()


def render_slot(name: str, request: Any) -> tuple[str | None, str]:
    """(chosen segment slug or None, rendered HTML) of slot `name` for a request."""
    block, value = find(name)
    slug, html = render_variant(block, value, request, {"request": request})
    return slug, str(html)
