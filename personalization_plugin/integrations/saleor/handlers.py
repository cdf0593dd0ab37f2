"""What each Saleor webhook does to the plugin's data.

* ORDER_CREATED: one "purchase" event per line (`track_order`), attributed to the
  customer and/or the visitor id the storefront put in the order's metadata.
* CHECKOUT_CREATED / CHECKOUT_UPDATED: the change in line quantities since the last
  update, as "cart_add" / "cart_remove" events.
* PRODUCT_CREATED / PRODUCT_UPDATED: the catalog cache row (`SaleorProduct`) is written.
* PRODUCT_DELETED: the row is kept but unpublished, so it is never recommended again.
* CUSTOMER_DELETED: `privacy.erasure.erase(customer_id=...)`.

Consent is applied by `track` / `track_order` exactly as for a Django store.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import timezone

from personalization_plugin import track
from personalization_plugin.core import subjects as subject_keys
from personalization_plugin.core.events import EventType
from personalization_plugin.integrations.saleor import payloads
from personalization_plugin.integrations.saleor.models import SaleorCheckout, SaleorProduct
from personalization_plugin.tracking.api import track_order

Handler = Callable[[Any], dict[str, int]]


def _known_products(lines: list[payloads.Line]) -> None:
    """Make sure every product of an order/checkout is in the catalog cache (by name),
    since a PRODUCT_UPDATED for it may never have been sent."""
    ids = {line.product_id: line for line in lines}
    existing = set(
        SaleorProduct.objects.filter(product_id__in=list(ids)).values_list("product_id", flat=True)
    )
    SaleorProduct.objects.bulk_create(
        [
            SaleorProduct(
                product_id=pid,
                title=(line.product_name or pid)[:250],
                price=line.price,
                currency=line.currency[:3],
            )
            for pid, line in ids.items()
            if pid not in existing
        ],
        ignore_conflicts=True,
    )


def _identity(obj: dict[str, Any], fallback: str) -> dict[str, Any]:
    customer = payloads.customer_id(obj)
    visitor = payloads.visitor_id(obj)
    if visitor:
        return {"visitor_id": visitor, "customer_id": customer}
    if customer:
        return {"customer_id": customer}
    return {"visitor_id": fallback}


def order_created(payload: Any) -> dict[str, int]:
    order = payloads.root(payload, "order")
    lines = payloads.lines(order)
    if not lines:
        return {"events": 0}
    _known_products(lines)
    currency = lines[0].currency or str(payloads.dig(order, "total", "gross", "currency") or "")
    events = track_order(
        **_identity(order, fallback=f"saleor-order-{order['id']}"),
        order_id=str(order.get("number") or order["id"]),
        lines=[
            {"product_id": line.product_id, "quantity": line.quantity, "price": line.price}
            for line in lines
        ],
        currency=currency,
        occurred_at=payloads.when(order.get("created")),
    )
    return {"events": len(events)}


def checkout_updated(payload: Any) -> dict[str, int]:
    checkout = payloads.root(payload, "checkout")
    lines = payloads.lines(checkout)
    _known_products(lines)
    quantities: dict[str, int] = {}
    prices = {}
    for line in lines:
        quantities[line.product_id] = quantities.get(line.product_id, 0) + line.quantity
        prices[line.product_id] = line.price
    who = _identity(checkout, fallback=f"saleor-checkout-{checkout['id']}")
    snapshot, _ = SaleorCheckout.objects.get_or_create(checkout_id=str(checkout["id"]))
    before: dict[str, int] = dict(snapshot.quantities or {})
    stored = 0
    for pid in sorted(set(quantities) | set(before)):
        change = quantities.get(pid, 0) - before.get(pid, 0)
        if change == 0:
            continue
        kind = EventType.CART_ADD if change > 0 else EventType.CART_REMOVE
        price = prices.get(pid)
        if track(kind, **who, product_id=pid, quantity=abs(change), price=price) is not None:
            stored += 1
    snapshot.quantities = quantities
    snapshot.visitor_id = who.get("visitor_id", "")
    snapshot.customer_id = who.get("customer_id", "")
    snapshot.updated_at = timezone.now()
    snapshot.save()
    return {"events": stored}


def product_updated(payload: Any) -> dict[str, int]:
    product = payloads.root(payload, "product")
    fields = payloads.product_fields(product)
    fields["updated_at"] = timezone.now()
    SaleorProduct.objects.update_or_create(product_id=str(product["id"]), defaults=fields)
    _forget_cached_product(str(product["id"]))
    return {"products": 1}


def product_deleted(payload: Any) -> dict[str, int]:
    product = payloads.root(payload, "product")
    pid = str(product["id"])
    updated = SaleorProduct.objects.filter(product_id=pid).update(
        published=False, updated_at=timezone.now()
    )
    if not updated:
        SaleorProduct.objects.create(
            product_id=pid, title=str(product.get("name") or pid)[:250], published=False
        )
    _forget_cached_product(pid)
    return {"products": 1}


def customer_deleted(payload: Any) -> dict[str, int]:
    from personalization_plugin.privacy.erasure import erase

    user = payloads.root(payload, "user")
    report = erase(customer_id=str(user["id"]))
    return {"erased": sum(v for v in report.values() if isinstance(v, int))}


def erase_checkouts(subjects: set[str]) -> int:
    """Eraser: drop checkout snapshots of erased shoppers."""
    customers = sorted(subject_keys.customer_ids(subjects))
    visitors = sorted(subject_keys.visitor_ids(subjects))
    rows = SaleorCheckout.objects.filter(customer_id__in=customers) | SaleorCheckout.objects.filter(
        visitor_id__in=visitors
    )
    return rows.delete()[0]


def _forget_cached_product(product_id: str) -> None:
    """Serving keeps product facts for a few seconds per process; this process forgets
    them now (others within serving's PRODUCT_TTL)."""
    from personalization_plugin.serving import catalog

    catalog.clear()


HANDLERS: dict[str, Handler] = {
    "order_created": order_created,
    "checkout_created": checkout_updated,
    "checkout_updated": checkout_updated,
    "product_created": product_updated,
    "product_updated": product_updated,
    "product_deleted": product_deleted,
    "customer_deleted": customer_deleted,
}
