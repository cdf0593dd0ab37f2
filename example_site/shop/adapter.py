"""How the personalization plugin sees this store's catalog and orders."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

from django.urls import reverse

from personalization_plugin.adapters import (
    BaseStoreAdapter,
    CategoryInfo,
    PastOrder,
    ProductInfo,
)
from personalization_plugin.adapters import (
    OrderLine as PluginOrderLine,
)

from .models import Category, Order, Product


def _int_ids(ids: Iterable[str]) -> dict[int, str]:
    """Map integer primary keys to the ids as given; ids that are not integers are dropped."""
    found: dict[int, str] = {}
    for raw in ids:
        text = str(raw).strip()
        if text.isdigit() and len(text) < 19:
            found[int(text)] = str(raw)
    return found


def product_info(product: Product) -> ProductInfo:
    """The plugin's view of one product (category must be loaded, or is fetched)."""
    return ProductInfo(
        id=str(product.pk),
        title=product.title,
        url=reverse("shop:product", args=[product.slug]),
        price=product.price,
        currency=product.currency,
        image_url=reverse("shop:product_image", args=[product.pk]),
        category_ids=(product.category.slug,),
        in_stock=product.stock > 0,
        published=product.published,
        created_at=product.created_at,
        attributes={"category": product.category.name},
    )


class ShopAdapter(BaseStoreAdapter):
    """Product ids are primary keys as strings; category ids are category slugs."""

    def get_products(self, ids: Sequence[str]) -> dict[str, ProductInfo]:
        wanted = _int_ids(ids)
        if not wanted:
            return {}
        rows = Product.objects.filter(pk__in=list(wanted)).select_related("category")
        return {wanted[p.pk]: product_info(p) for p in rows}

    def iter_products(self, batch_size: int = 500) -> Iterator[list[ProductInfo]]:
        last = 0
        base = Product.objects.select_related("category").order_by("pk")
        while True:
            batch = list(base.filter(pk__gt=last)[:batch_size])
            if not batch:
                return
            yield [product_info(p) for p in batch]
            last = batch[-1].pk

    def get_categories(self, ids: Sequence[str]) -> dict[str, CategoryInfo]:
        rows = Category.objects.filter(slug__in=[str(i) for i in ids])
        return {
            c.slug: CategoryInfo(
                id=c.slug, name=c.name, url=reverse("shop:category", args=[c.slug])
            )
            for c in rows
        }

    def iter_orders(self, since: datetime | None = None) -> Iterable[PastOrder]:
        orders = Order.objects.order_by("created_at", "pk").prefetch_related("lines")
        if since is not None:
            orders = orders.filter(created_at__gte=since)
        for order in orders.iterator(chunk_size=500):
            lines = tuple(
                PluginOrderLine(
                    product_id=str(line.product_id), quantity=line.quantity, price=line.unit_price
                )
                for line in order.lines.all()
                if line.product_id is not None
            )
            yield PastOrder(
                order_id=order.number,
                customer_id=str(order.user_id) if order.user_id else "",
                placed_at=order.created_at,
                lines=lines,
                currency=order.currency,
            )
