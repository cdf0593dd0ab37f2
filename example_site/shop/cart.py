"""The session cart: product id (str) -> quantity. No database rows until checkout."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpRequest

from .models import Product

SESSION_KEY = "cart"
MAX_QUANTITY = 99


@dataclass
class CartLine:
    product: Product
    quantity: int

    @property
    def line_total(self) -> Decimal:
        return self.product.price * self.quantity


class Cart:
    """A thin wrapper over the session dict, so views never touch the session format."""

    def __init__(self, request: HttpRequest) -> None:
        self.session = request.session
        raw = self.session.get(SESSION_KEY)
        self.items: dict[str, int] = dict(raw) if isinstance(raw, dict) else {}

    def _save(self) -> None:
        self.session[SESSION_KEY] = self.items
        self.session.modified = True

    def add(self, product_id: str, quantity: int = 1) -> int:
        """Add to the line; returns the new quantity."""
        new = min(MAX_QUANTITY, self.items.get(product_id, 0) + max(1, quantity))
        self.items[product_id] = new
        self._save()
        return new

    def set(self, product_id: str, quantity: int) -> None:
        if quantity <= 0:
            self.remove(product_id)
            return
        self.items[product_id] = min(MAX_QUANTITY, quantity)
        self._save()

    def remove(self, product_id: str) -> int:
        """Drop the line; returns the quantity removed (0 when absent)."""
        removed = self.items.pop(product_id, 0)
        self._save()
        return removed

    def clear(self) -> None:
        self.items = {}
        self._save()

    def product_ids(self) -> list[str]:
        return list(self.items)

    def count(self) -> int:
        return sum(self.items.values())

    def lines(self) -> list[CartLine]:
        """Lines for products that still exist and are published, in cart order."""
        ids = [int(pid) for pid in self.items if pid.isdigit()]
        products = Product.objects.published().select_related("category").in_bulk(ids)
        return [
            CartLine(products[int(pid)], qty)
            for pid, qty in self.items.items()
            if pid.isdigit() and int(pid) in products
        ]

    @staticmethod
    def total(lines: list[CartLine]) -> Decimal:
        return sum((line.line_total for line in lines), Decimal("0"))
