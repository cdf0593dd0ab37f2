"""`SaleorCatalogAdapter`: the catalog cache kept from Saleor's webhooks, as a store adapter.

Product ids are Saleor global ids ("UHJvZHVjdDo3Mg=="), so a Saleor storefront asks for
recommendations with the ids it already has, and gets them back.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from personalization_plugin.adapters import BaseStoreAdapter, CategoryInfo, ProductInfo
from personalization_plugin.integrations.saleor.models import SaleorProduct


def product_info(row: SaleorProduct) -> ProductInfo:
    return ProductInfo(
        id=row.product_id,
        title=row.title,
        url=row.url,
        price=row.price,
        currency=row.currency,
        image_url=row.image_url,
        category_ids=tuple(str(c) for c in row.category_ids or ()),
        in_stock=row.in_stock,
        published=row.published,
        created_at=row.created_at,
    )


class SaleorCatalogAdapter(BaseStoreAdapter):
    """Reads `SaleorProduct` rows: one query per batch of ids."""

    def get_products(self, ids: Sequence[str]) -> dict[str, ProductInfo]:
        wanted = [str(i) for i in ids if i]
        rows = SaleorProduct.objects.filter(product_id__in=wanted)
        return {row.product_id: product_info(row) for row in rows}

    def iter_products(self, batch_size: int = 500) -> Iterator[list[ProductInfo]]:
        last = 0
        base = SaleorProduct.objects.order_by("pk")
        while True:
            batch = list(base.filter(pk__gt=last)[:batch_size])
            if not batch:
                return
            yield [product_info(row) for row in batch]
            last = batch[-1].pk

    def get_categories(self, ids: Sequence[str]) -> dict[str, CategoryInfo]:
        wanted = {str(i) for i in ids}
        found: dict[str, CategoryInfo] = {}
        rows = SaleorProduct.objects.exclude(category_names={}).values_list(
            "category_names", flat=True
        )
        for names in rows.iterator():
            for cid, name in (names or {}).items():
                if cid in wanted and cid not in found:
                    found[cid] = CategoryInfo(id=cid, name=name)
            if len(found) == len(wanted):
                break
        return found
