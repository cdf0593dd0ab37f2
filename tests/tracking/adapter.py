"""A small in-memory store catalog for tracking and privacy tests."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from personalization_plugin.adapters import BaseStoreAdapter, ProductInfo

PRODUCTS = {
    str(i): ProductInfo(
        id=str(i),
        title=f"Product {i}",
        category_ids=("chairs",) if i <= 10 else ("tables",),
    )
    for i in range(1, 31)
}


class CatalogAdapter(BaseStoreAdapter):
    calls: list[list[str]] = []

    def get_products(self, ids: Sequence[str]) -> dict[str, ProductInfo]:
        CatalogAdapter.calls.append(list(ids))
        return {i: PRODUCTS[i] for i in ids if i in PRODUCTS}

    def iter_products(self, batch_size: int = 500) -> Iterator[list[ProductInfo]]:
        items = list(PRODUCTS.values())
        for start in range(0, len(items), batch_size):
            yield items[start : start + batch_size]


class CustomerIdAdapter(CatalogAdapter):
    def customer_id_for(self, user) -> str:
        return f"cust-{user.username}"
