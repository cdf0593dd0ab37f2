"""A tiny in-memory store for serving tests: `TestAdapter.products` is the catalog."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from personalization_plugin.adapters import BaseStoreAdapter, CategoryInfo, ProductInfo


class TestAdapter(BaseStoreAdapter):
    __test__ = False  # not a pytest class

    products: dict[str, ProductInfo] = {}
    categories: dict[str, CategoryInfo] = {}
    calls: list[list[str]] = []
    scans: int = 0
    batches: int = 0

    def get_products(self, ids: Sequence[str]) -> dict[str, ProductInfo]:
        type(self).calls.append(list(ids))
        return {pid: self.products[pid] for pid in ids if pid in self.products}

    def iter_products(self, batch_size: int = 500) -> Iterator[list[ProductInfo]]:
        type(self).scans += 1
        items = list(self.products.values())
        for start in range(0, len(items), batch_size):
            type(self).batches += 1
            yield items[start : start + batch_size]

    def get_categories(self, ids: Sequence[str]) -> dict[str, CategoryInfo]:
        return {cid: self.categories[cid] for cid in ids if cid in self.categories}
