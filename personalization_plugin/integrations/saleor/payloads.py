"""Reading Saleor webhook payloads (the shapes of `subscriptions.SUBSCRIPTIONS`).

Saleor sends a subscription webhook's `event { ... }` selection as the JSON body, e.g.
`{"order": {...}}` for ORDER_CREATED. Ids are Saleor global ids ("UHJvZHVjdDo3Mg==") and
are kept as opaque strings. Money is `{"gross": {"amount": 12.5, "currency": "USD"}}`.
A payload without what an event needs raises `InvalidPayload` naming the missing path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.dateparse import parse_datetime

from personalization_plugin.core.exceptions import InvalidPayload
from personalization_plugin.integrations.saleor.conf import saleor_setting


@dataclass(frozen=True)
class Line:
    product_id: str
    product_name: str
    quantity: int
    price: Decimal | None
    currency: str


def root(payload: Any, key: str) -> dict[str, Any]:
    """The object under `key` ("order", "checkout", "product", "user")."""
    if isinstance(payload, list) and payload:  # a list of one event, as older payloads are
        payload = payload[0]
    if isinstance(payload, dict) and isinstance(payload.get("event"), dict):
        payload = payload["event"]
    found = payload.get(key) if isinstance(payload, dict) else None
    if not isinstance(found, dict) or not found.get("id"):
        raise InvalidPayload(f"The payload has no {key}.id; expected {{'{key}': {{'id': ...}}}}.")
    return found


def dig(obj: Any, *path: str) -> Any:
    for step in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(step)
    return obj


def money(value: Any) -> tuple[Decimal | None, str]:
    """(amount, currency) from a Saleor Money or TaxedMoney object."""
    gross = dig(value, "gross") or value
    amount = dig(gross, "amount")
    currency = str(dig(gross, "currency") or "")
    if amount is None:
        return None, currency
    try:
        return Decimal(str(amount)), currency
    except InvalidOperation:
        return None, currency


def when(value: Any) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) else None


def lines(obj: dict[str, Any]) -> list[Line]:
    """Order or checkout lines with a product (lines of deleted variants are left out)."""
    found: list[Line] = []
    for line in obj.get("lines") or []:
        product = dig(line, "variant", "product") or {}
        if not product.get("id"):
            continue
        price, currency = money(line.get("unitPrice"))
        found.append(
            Line(
                product_id=str(product["id"]),
                product_name=str(product.get("name") or line.get("productName") or ""),
                quantity=int(line.get("quantity") or 1),
                price=price,
                currency=currency,
            )
        )
    return found


def customer_id(obj: dict[str, Any]) -> str:
    return str(dig(obj, "user", "id") or "")


def visitor_id(obj: dict[str, Any]) -> str:
    """The plugin visitor id the storefront stored in the checkout/order metadata, if any."""
    wanted = saleor_setting("VISITOR_METADATA_KEY")
    for item in obj.get("metadata") or []:
        if isinstance(item, dict) and item.get("key") == wanted and item.get("value"):
            return str(item["value"])[:64]
    return ""


def product_fields(product: dict[str, Any]) -> dict[str, Any]:
    """SaleorProduct field values from a product payload."""
    price, currency = money(dig(product, "pricing", "priceRange", "start"))
    category = product.get("category") or {}
    listings = product.get("channelListings")
    published = (
        any(bool(item.get("isPublished")) for item in listings)
        if isinstance(listings, list)
        else bool(product.get("isPublished", True))
    )
    slug = str(product.get("slug") or "")
    return {
        "title": str(product.get("name") or product["id"])[:250],
        "slug": slug,
        "url": saleor_setting("PRODUCT_URL").format(slug=slug, id=product["id"]) if slug else "",
        "price": price,
        "currency": currency[:3],
        "image_url": str(dig(product, "thumbnail", "url") or "")[:500],
        "category_ids": [str(category["id"])] if category.get("id") else [],
        "category_names": {str(category["id"]): str(category.get("name") or "")}
        if category.get("id")
        else {},
        "in_stock": bool(product.get("isAvailableForPurchase", True)),
        "published": published,
        "created_at": when(product.get("created")),
    }
