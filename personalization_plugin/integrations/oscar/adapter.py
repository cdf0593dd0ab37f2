"""`OscarAdapter`: django-oscar's catalogue and stock records behind the adapter protocol.

Product ids are Oscar product primary keys as strings; category ids are category
primary keys as strings. Child products (variants) are tracked as their parent, the
page a shopper browses, so `iter_products` yields standalone and parent products only.
Models are loaded with `oscar.core.loading.get_model`, so forked Oscar apps work.

Stock and price come from stock records in the same query as the products (subquery
annotations), categories in one prefetch: `get_products` costs two queries whatever
the number of ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import F, Func, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from personalization_plugin.adapters import (
    BaseStoreAdapter,
    CategoryInfo,
    OrderLine,
    PastOrder,
    ProductInfo,
)
from personalization_plugin.integrations.oscar.products import tracked_product_id


def _models() -> tuple[Any, Any, Any, Any, Any]:
    from oscar.core.loading import get_model

    return (
        get_model("catalogue", "Product"),
        get_model("catalogue", "Category"),
        get_model("catalogue", "ProductImage"),
        get_model("partner", "StockRecord"),
        get_model("order", "Order"),
    )


def _int_ids(ids: Iterable[str]) -> dict[int, str]:
    """Integer primary keys mapped to the ids as given; anything else is not an Oscar id."""
    found: dict[int, str] = {}
    for raw in ids:
        text = str(raw).strip()
        if text.isdigit() and len(text) < 19:
            found[int(text)] = str(raw)
    return found


class OscarAdapter(BaseStoreAdapter):
    """The plugin's view of an Oscar catalogue (see the module docstring).

    Creating it connects Oscar's signals too (idempotently), so a shop that configured
    the adapter but did not list `personalization_plugin.integrations.oscar` in
    INSTALLED_APPS is still tracked from the plugin's first use on.
    """

    def __init__(self) -> None:
        self.connect_signals()

    def _queryset(self) -> QuerySet:
        product_model, _, image_model, stock_model, _ = _models()
        # A parent's stock and price are its children's (Oscar keeps none on the parent).
        stock = stock_model.objects.filter(
            Q(product=OuterRef("pk")) | Q(product__parent=OuterRef("pk"))
        )
        cheapest = stock.order_by("price", "pk")
        # Func(SUM) rather than Sum: one aggregate row without a GROUP BY in the subquery.
        net = stock.annotate(
            net=Func(F("num_in_stock") - Coalesce(F("num_allocated"), 0), function="SUM")
        ).values("net")
        untracked = stock.filter(num_in_stock__isnull=True)
        return (
            product_model.objects.select_related("product_class")
            .prefetch_related("categories")
            .annotate(
                sp_price=Subquery(cheapest.values("price")[:1]),
                sp_currency=Subquery(cheapest.values("price_currency")[:1]),
                sp_records=Subquery(stock.values("pk")[:1]),
                sp_untracked=Subquery(untracked.values("pk")[:1]),
                sp_net=Subquery(net[:1]),
                sp_image=Subquery(
                    image_model.objects.filter(product=OuterRef("pk"))
                    .order_by("display_order", "pk")
                    .values("original")[:1]
                ),
            )
        )

    def get_products(self, ids: Sequence[str]) -> dict[str, ProductInfo]:
        wanted = _int_ids(ids)
        if not wanted:
            return {}
        rows = self._queryset().filter(pk__in=list(wanted))
        return {wanted[p.pk]: product_info(p) for p in rows}

    def iter_products(self, batch_size: int = 500) -> Iterator[list[ProductInfo]]:
        base = self._queryset().filter(parent__isnull=True).order_by("pk")
        last = 0
        while True:
            batch = list(base.filter(pk__gt=last)[:batch_size])
            if not batch:
                return
            yield [product_info(p) for p in batch]
            last = batch[-1].pk

    def get_categories(self, ids: Sequence[str]) -> dict[str, CategoryInfo]:
        _, category_model, _, _, _ = _models()
        wanted = _int_ids(ids)
        rows = category_model.objects.filter(pk__in=list(wanted))
        return {
            wanted[c.pk]: CategoryInfo(id=wanted[c.pk], name=c.name, url=c.get_absolute_url())
            for c in rows
        }

    def iter_orders(self, since: datetime | None = None) -> Iterable[PastOrder]:
        """Placed orders, oldest first; lines of deleted products are left out."""
        *_, order_model = _models()
        orders = order_model.objects.order_by("date_placed", "pk").prefetch_related(
            "lines__product"
        )
        if since is not None:
            orders = orders.filter(date_placed__gte=since)
        for order in orders.iterator(chunk_size=500):
            lines = tuple(
                OrderLine(
                    product_id=tracked_product_id(line.product),
                    quantity=line.quantity,
                    price=line.unit_price_incl_tax,
                )
                for line in order.lines.all()
                if line.product is not None
            )
            yield PastOrder(
                order_id=str(order.number),
                customer_id=str(order.user_id) if order.user_id else "",
                placed_at=order.date_placed,
                lines=lines,
                currency=order.currency,
            )

    def connect_signals(self) -> None:
        from personalization_plugin.integrations.oscar.receivers import connect_signals

        connect_signals()


def product_info(product: Any) -> ProductInfo:
    """A ProductInfo from a product annotated by `OscarAdapter._queryset`."""
    untracked = product.sp_untracked is not None or not product.get_product_class().track_stock
    has_stock = bool(product.sp_records) and (untracked or (product.sp_net or 0) > 0)
    price = product.sp_price
    return ProductInfo(
        id=str(product.pk),
        title=product.get_title(),
        url=product.get_absolute_url(),
        price=Decimal(price) if price is not None else None,
        currency=product.sp_currency or getattr(settings, "OSCAR_DEFAULT_CURRENCY", ""),
        image_url=_image_url(product.sp_image),
        category_ids=tuple(str(c.pk) for c in product.categories.all()),
        in_stock=has_stock,
        published=bool(product.is_public),
        created_at=product.date_created,
        attributes={"upc": product.upc or ""},
    )


def _image_url(name: str | None) -> str:
    if not name:
        return ""
    from django.core.files.storage import default_storage

    try:
        return default_storage.url(name)
    except Exception:  # a storage that cannot build URLs offline: no picture rather than no list
        return ""
