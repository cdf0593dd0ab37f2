"""The catalog snapshot taken at training: categories, prices, creation dates.

It feeds new arrivals, popularity by category, the content fallback for products with
no history, and the exclusion of SENSITIVE_CATEGORIES. A store whose adapter fails is
still trained (from events alone); the failure is logged once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

logger = logging.getLogger(__name__)


@dataclass
class CatalogSnapshot:
    """Per product: categories, price (NaN unknown), created_at (NaN unknown), available."""

    categories: dict[str, tuple[str, ...]] = field(default_factory=dict)
    price: dict[str, float] = field(default_factory=dict)
    created: dict[str, float] = field(default_factory=dict)
    available: dict[str, bool] = field(default_factory=dict)

    @property
    def product_ids(self) -> list[str]:
        return list(self.available)

    def sensitive_products(self, sensitive_categories: list[str] | tuple[str, ...]) -> set[str]:
        bad = set(sensitive_categories)
        if not bad:
            return set()
        return {pid for pid, cats in self.categories.items() if bad.intersection(cats)}


def snapshot_catalog() -> CatalogSnapshot:
    """Read the whole catalog through the store adapter (empty when there is none)."""
    from personalization_plugin.adapters import get_adapter

    snap = CatalogSnapshot()
    try:
        adapter = get_adapter()
        for batch in adapter.iter_products(batch_size=1000):
            for p in batch:
                snap.categories[p.id] = tuple(p.category_ids)
                snap.price[p.id] = float(p.price) if p.price is not None else np.nan
                snap.created[p.id] = p.created_at.timestamp() if p.created_at else np.nan
                snap.available[p.id] = bool(p.available)
    except Exception as exc:  # the store's code: training must still work from events
        logger.warning(
            "Catalog snapshot failed (%s: %s); training from events only.", type(exc).__name__, exc
        )
        return CatalogSnapshot()
    return snap


def catalog_arrays(snap: CatalogSnapshot, item_ids: np.ndarray) -> dict[str, np.ndarray]:
    """The snapshot aligned to the model's item columns, as arrays for the artifact."""
    n = item_ids.shape[0]
    price = np.array([snap.price.get(i, np.nan) for i in item_ids.tolist()], dtype=np.float64)
    created = np.array([snap.created.get(i, np.nan) for i in item_ids.tolist()], dtype=np.float64)
    available = np.array([snap.available.get(i, True) for i in item_ids.tolist()], dtype=bool)
    cats = [snap.categories.get(i, ()) for i in item_ids.tolist()]
    category_ids = np.asarray(sorted({c for cs in cats for c in cs}), dtype=str)
    pos = {c: k for k, c in enumerate(category_ids.tolist())}
    indptr = np.zeros(n + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(cs) for cs in cats])
    indices = np.array([pos[c] for cs in cats for c in cs], dtype=np.int32)
    return {
        "price": price,
        "created": created,
        "available": available,
        "category_ids": category_ids if category_ids.size else np.zeros(0, dtype="<U1"),
        "item_cat_indptr": indptr,
        "item_cat_indices": indices,
    }
