"""How Oscar products are named in events: one id per product family."""

from __future__ import annotations

from typing import Any


def tracked_product_id(product: Any) -> str:
    """The id events use for an Oscar product: the parent's for a child (variant)."""
    return str(product.parent_id or product.pk)
