"""Shopper histories that make a trigger fire, shared by the scan and delivery tests."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tests.segments.factories import event, products


def abandoned_cart(customer: str = "7", hours_ago: float = 2.0) -> str:
    """A customer's cart add `hours_ago`, never ordered; returns the product id."""
    (pid,) = products(1)
    event(
        "cart_add",
        customer=customer,
        product_id=pid,
        at=timezone.now() - timedelta(hours=hours_ago),
    )
    return pid
