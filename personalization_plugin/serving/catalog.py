"""Product and category facts for serving, fetched from the store adapter in batches.

Serving looks up a few dozen products per request; asking the store's database each
time would dominate latency, so facts are kept in a small in-process LRU for
`PRODUCT_TTL` seconds. A product unpublished or sold out shows up within that time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from itertools import islice
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
_category_index: dict[str, Any] = {"built": float("-inf"), "ids": {}, "newest": [], "newest_in": {}}
_index_lock = threading.Lock()
# The first products of the adapter's catalog order, for the uncategorised fallback: a
# store with no model and no events answers every such request from here instead of
# reading the catalog again. Bounded, so a big catalog costs one small read per minute.
HEAD_SIZE = 1_000
HEAD_TTL = 60.0
_head: dict[str, Any] = {"built": float("-inf"), "ids": [], "complete": False}


def catalog_order(
    n: int,
    *,
    category_id: str | None = None,
    exclude: Collection[str] = (),
    accept: Callable[[ProductInfo], bool] | None = None,
) -> list[ProductInfo]:
    """The last fallback: available products in the adapter's own catalog order.

    Without a category, the first HEAD_SIZE products of the catalog are kept per process
    for HEAD_TTL seconds and each request walks them through the product cache (a sold-out
    product leaves within PRODUCT_TTL); only when exclusions and `accept` leave fewer than
    `n` of them is the catalog read again, batch by batch, stopping as soon as `n` pass.
    With a category, products are looked up through a per-process index of the catalog by
    category (one full read every CATEGORY_INDEX_TTL seconds), so a category whose
    products are all sold out does not cost a full scan per request.
    """
    if category_id is not None:
        ids = (pid for pid in _category_ids(category_id) if pid not in exclude)
        return _first_accepted(ids, n, accept)
    head, complete = _catalog_head()
    chosen = _first_accepted((pid for pid in head if pid not in exclude), n, accept)
    if len(chosen) >= n or complete:
        return chosen
    chosen = []
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


def _catalog_head() -> tuple[list[str], bool]:
    """The ids of the catalog's first HEAD_SIZE products, and whether that is all of it.
    The list is replaced, never changed, so callers may walk it outside the lock."""
    with _index_lock:
        if time.monotonic() - _head["built"] <= HEAD_TTL:
            return _head["ids"], _head["complete"]
    ids: list[str] = []
    complete = True
    for batch in get_adapter().iter_products(batch_size=HEAD_SIZE):  # usually one query
        for info in batch[: HEAD_SIZE - len(ids)]:
            _products.set(info.id, info)
            ids.append(info.id)
        if len(ids) >= HEAD_SIZE:
            complete = False
            break
    with _index_lock:
        _head.update(built=time.monotonic(), ids=ids, complete=complete)
    return ids, complete


def _first_accepted(
    ids: Iterable[str], n: int, accept: Callable[[ProductInfo], bool] | None
) -> list[ProductInfo]:
    """The first `n` available products of `ids` that pass `accept`, looked up in chunks
    through the product cache; `ids` is consumed lazily, never copied whole."""
    chosen: list[ProductInfo] = []
    step = max(32, 4 * n)
    remaining: Iterator[str] = iter(ids)
    while chunk := list(islice(remaining, step)):
        found = get_products(chunk)
        for pid in chunk:
            info = found.get(pid)
            if info is None or not info.available or (accept is not None and not accept(info)):
                continue
            chosen.append(info)
            if len(chosen) >= n:
                return chosen
    return chosen


def _category_ids(category_id: str) -> list[str]:
    """Ids of the products in a category, in catalog order (as of the last full read);
    the index's own list, replaced on rebuild and never changed, so it is not copied."""
    with _index_lock:
        if time.monotonic() - _category_index["built"] > CATEGORY_INDEX_TTL:
            _build_index()
        ids: list[str] = _category_index["ids"].get(category_id, [])
        return ids


def _build_index() -> None:
    """One full catalog read: ids by category, and every published id newest first."""
    index: dict[str, list[str]] = {}
    dated: list[tuple[float, int, str, tuple[str, ...]]] = []
    for batch in get_adapter().iter_products(batch_size=1000):
        for info in batch:
            if info.published:
                for cid in info.category_ids:
                    index.setdefault(cid, []).append(info.id)
                stamp = info.created_at.timestamp() if info.created_at else float("-inf")
                dated.append((-stamp, len(dated), info.id, tuple(info.category_ids)))
    dated.sort()
    newest = [pid for _, _, pid, _ in dated]
    newest_in: dict[str, list[str]] = {}
    for _, _, pid, categories in dated:
        for cid in categories:
            newest_in.setdefault(cid, []).append(pid)
    _category_index.update(built=time.monotonic(), ids=index, newest=newest, newest_in=newest_in)


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
        # The index's own lists (replaced on rebuild, never changed): walked, not copied.
        ordered: list[str] = (
            _category_index["newest_in"].get(category_id, [])
            if category_id
            else _category_index["newest"]
        )
    ids = (pid for pid in ordered if pid not in exclude)
    return _first_accepted(ids, n, accept)


def clear() -> None:
    _products.clear()
    _category_index.update(built=float("-inf"), ids={}, newest=[], newest_in={})
    _head.update(built=float("-inf"), ids=[], complete=False)
    _category_names.clear()
