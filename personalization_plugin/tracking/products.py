"""Product id validation through the store adapter, batched and briefly cached.

Known products are remembered for KNOWN_TTL_SECONDS (with their category ids, which
per-category trending needs); unknown ids are asked again every time, so a product
created a second ago is accepted at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

from personalization_plugin.adapters import get_adapter
from personalization_plugin.core.exceptions import UnknownProduct

KNOWN_TTL_SECONDS = 60.0
MAX_CACHED = 100_000

_lock = threading.Lock()
_known: dict[str, tuple[tuple[str, ...], float]] = {}


def product_categories(ids: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Category ids of each known product; unknown ids are absent. One adapter call at most."""
    wanted = {str(i) for i in ids if i}
    now = time.monotonic()
    found: dict[str, tuple[str, ...]] = {}
    with _lock:
        for pid in wanted:
            hit = _known.get(pid)
            if hit and hit[1] > now:
                found[pid] = hit[0]
    missing = sorted(wanted - found.keys())
    if missing:
        fetched = get_adapter().get_products(missing)
        with _lock:
            if len(_known) > MAX_CACHED:
                _known.clear()
            for pid, info in fetched.items():
                cats = tuple(str(c) for c in info.category_ids)
                _known[str(pid)] = (cats, now + KNOWN_TTL_SECONDS)
                found[str(pid)] = cats
    return found


def require_products(ids: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Like `product_categories`, but raises UnknownProduct naming any id the store lacks."""
    wanted = [str(i) for i in ids if i]
    found = product_categories(wanted)
    unknown = sorted(set(wanted) - found.keys())
    if unknown:
        shown = ", ".join(repr(u) for u in unknown[:5])
        raise UnknownProduct(
            f"Unknown product id(s) {shown}: the store adapter's get_products() does not "
            "return them. Send the id the adapter uses (e.g. str(product.pk)), or pass "
            "validate_products=False when importing history for products that no longer exist."
        )
    return found


def clear_cache() -> None:
    with _lock:
        _known.clear()
