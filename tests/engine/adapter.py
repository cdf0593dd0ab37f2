"""A tiny in-memory store adapter for engine tests (no dependency on the demo shop)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from personalization_plugin.adapters import BaseStoreAdapter, ProductInfo

PRODUCTS: dict[str, ProductInfo] = {}


def set_products(products: list[ProductInfo]) -> None:
    PRODUCTS.clear()
    PRODUCTS.update({p.id: p for p in products})


class MemoryAdapter(BaseStoreAdapter):
    def get_products(self, ids: Sequence[str]) -> dict[str, ProductInfo]:
        return {i: PRODUCTS[i] for i in ids if i in PRODUCTS}

    def iter_products(self, batch_size: int = 500) -> Iterator[list[ProductInfo]]:
        items = list(PRODUCTS.values())
        for start in range(0, len(items), batch_size):
            yield items[start : start + batch_size]
