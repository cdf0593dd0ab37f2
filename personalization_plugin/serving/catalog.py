"""Product and category facts for serving, fetched from the store adapter in batches.

Serving looks up a few dozen products per request; asking the store's database each
time would dominate latency, so facts are kept in a small in-process LRU for
`PRODUCT_TTL` seconds. A product unpublished or sold out shows up within that time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any

from personalization_plugin.adapters import ProductInfo, get_adapter
from personalization_plugin.core.exceptions import UnknownProduct
from personalization_plugin.core.ttl_cache import TTLCache

PRODUCT_TTL = 30.0
PRODUCT_CACHE_SIZE = 20_000
CATEGORY_TTL = 300.0

_products: TTLCache[str, ProductInfo] = TTLCache(PRODUCT_CACHE_SIZE, PRODUCT_TTL)
_category_names: TTLCache[str, str] = TTLCache(5_000, CATEGORY_TTL)


def get_products(ids: Iterable[str]) -> dict[str, ProductInfo]:
    """Products by id (unknown ids absent), one adapter call for every id not cached."""
    return _products.get_many(ids, _fetch_products)


def _fetch_products(ids: list[str]) -> dict[str, ProductInfo]:
    fetched = get_adapter().get_products(ids)
    return {pid: info for pid, info in fetched.items() if info is not None}


def require_product(product_id: str) -> ProductInfo:
    """The product, or UnknownProduct with a message saying what to pass instead."""
    info = get_products([product_id]).get(product_id)
    if info is None:
        raise UnknownProduct(
            f"Product {product_id!r} is not in the catalog: the store adapter's get_products() "
            "did not return it. Pass the id of an existing product as a string, e.g. str(product.pk)."
        )
    return info


def category_names(ids: Sequence[str]) -> dict[str, str]:
    """Readable category names (the id itself when the adapter has none)."""
    return _category_names.get_many(ids, _fetch_category_names)


def _fetch_category_names(ids: list[str]) -> dict[str, str]:
    getter = getattr(get_adapter(), "get_categories", None)  # optional in the adapter protocol
    found = getter(ids) if getter else {}
    return {cid: found[cid].name if cid in found else cid for cid in ids}


CATEGORY_INDEX_TTL = 300.0
_category_index: dict[str, Any] = {"built": float("-inf"), "ids": {}, "newest": []}
_index_lock = threading.Lock()


def catalog_order(
    n: int,
    *,
    category_id: str | None = None,
    exclude: Collection[str] = (),
    accept: Callable[[ProductInfo], bool] | None = None,
) -> list[ProductInfo]:
    """The last fallback: available products in the adapter's own catalog order.

    Without a category the catalog is read batch by batch and the scan stops as soon as
    `n` products pass `accept`, so an empty store with a big catalog answers after one
    or two batches. With a category, products are looked up through a per-process
    index of the catalog by category (one full read every CATEGORY_INDEX_TTL seconds),
    so a category whose products are all sold out does not cost a full scan per request.
    """
    if category_id is not None:
        ids = [pid for pid in _category_ids(category_id) if pid not in exclude]
        return _first_accepted(ids, n, accept)
    chosen: list[ProductInfo] = []
    for batch in get_adapter().iter_products(batch_size=max(100, 4 * n)):
        for info in batch:
            if not info.available or info.id in exclude:
                continue
            _products.set(info.id, info)
            if accept is not None and not accept(info):
                continue
            chosen.append(info)
            if len(chosen) >= n:
                return chosen
    return chosen


def _first_accepted(
    ids: Sequence[str], n: int, accept: Callable[[ProductInfo], bool] | None
) -> list[ProductInfo]:
    chosen: list[ProductInfo] = []
    step = max(32, 4 * n)
    for start in range(0, len(ids), step):
        found = get_products(ids[start : start + step])
        for pid in ids[start : start + step]:
            info = found.get(pid)
            if info is None or not info.available or (accept is not None and not accept(info)):
                continue
            chosen.append(info)
            if len(chosen) >= n:
                return chosen
    return chosen


def _category_ids(category_id: str) -> list[str]:
    """Ids of the products in a category, in catalog order (as of the last full read)."""
    with _index_lock:
        if time.monotonic() - _category_index["built"] > CATEGORY_INDEX_TTL:
            _build_index()
        return list(_category_index["ids"].get(category_id, ()))


def _build_index() -> None:
    """One full catalog read: ids by category, and every published id newest first."""
    index: dict[str, list[str]] = {}
    dated: list[tuple[float, int, str]] = []
    for batch in get_adapter().iter_products(batch_size=1000):
        for info in batch:
            if info.published:
                for cid in info.category_ids:
                    index.setdefault(cid, []).append(info.id)
                stamp = info.created_at.timestamp() if info.created_at else float("-inf")
                dated.append((-stamp, len(dated), info.id))
    newest = [pid for _, _, pid in sorted(dated)]
    _category_index.update(built=time.monotonic(), ids=index, newest=newest)


def newest(
    n: int,
    *,
    category_id: str | None = None,
    exclude: Collection[str] = (),
    accept: Callable[[ProductInfo], bool] | None = None,
) -> list[ProductInfo]:
    """Available products newest first (the adapter's created_at), from the same
    per-process index as `catalog_order`'s categories: new arrivals without a model."""
    with _index_lock:
        if time.monotonic() - _category_index["built"] > CATEGORY_INDEX_TTL:
            _build_index()
        ordered = list(_category_index["newest"])
        in_category = set(_category_index["ids"].get(category_id, ())) if category_id else None
    ids = [
        pid for pid in ordered if pid not in exclude and (in_category is None or pid in in_category)
    ]
    return _first_accepted(ids, n, accept)


def clear() -> None:
    _products.clear()
    _category_index.update(built=float("-inf"), ids={}, newest=[])
    _category_names.clear()
