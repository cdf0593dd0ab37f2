"""Small factories for segment, score and trigger tests: stored events and requests."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.test import RequestFactory
from django.utils import timezone

from personalization_plugin.models import Event


def event(
    type: str,
    *,
    customer: str = "",
    visitor: str = "",
    at: datetime | None = None,
    days_ago: float = 0.0,
    **fields: Any,
) -> Event:
    """Store one event. Identity: a customer id ("c:") or a visitor id ("v:")."""
    when = at or timezone.now() - timedelta(days=days_ago)
    return Event.objects.create(
        event_id=uuid.uuid4().hex,
        type=type,
        visitor_id=visitor or f"cust-{customer}",
        customer_id=customer,
        occurred_at=when,
        **fields,
    )


def order(
    customer: str,
    order_id: str,
    *,
    days_ago: float = 0.0,
    at: datetime | None = None,
    total: str = "20",
    product: str = "1",
) -> None:
    event(
        "purchase",
        customer=customer,
        order_id=order_id,
        product_id=product,
        price=Decimal(total),
        days_ago=days_ago,
        at=at,
    )


def orders(customer: str, days_ago: list[float], total: str = "20") -> None:
    for i, ago in enumerate(days_ago):
        order(customer, f"{customer}-o{i}", days_ago=ago, total=total)


def request(path: str = "/", *, user: Any = None, visitor: Any = None, **headers: Any) -> Any:
    """A GET request with an anonymous user unless given, and a Visitor if given."""
    from django.contrib.auth.models import AnonymousUser

    req = RequestFactory().get(path, **headers)
    req.user = user or AnonymousUser()
    if visitor is not None:
        req.visitor = visitor
    return req


def products(n: int = 3, category: str = "cookware") -> list[str]:
    """Create n products of the demo store in one category; returns their ids."""
    from shop.models import Category, Product

    cat, _ = Category.objects.get_or_create(slug=category, defaults={"name": category.title()})
    start = Product.objects.count()
    return [
        str(
            Product.objects.create(
                title=f"Thing {start + i}",
                slug=f"thing-{category}-{start + i}",
                price=Decimal("10"),
                stock=5,
                category=cat,
            ).pk
        )
        for i in range(n)
    ]
