"""Template context every page gets: the cart size and the ids in it (for widgets)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .cart import SESSION_KEY
from .models import Category


def cart(request: HttpRequest) -> dict[str, Any]:
    """`cart_product_ids` (list of str) and `cart_count`; the nav's categories, lazily."""
    session = getattr(request, "session", None)
    raw = session.get(SESSION_KEY) if session is not None else None
    items = raw if isinstance(raw, dict) else {}
    return {
        "cart_product_ids": [str(pid) for pid in items],
        "cart_count": sum(int(q) for q in items.values()),
        "nav_categories": Category.objects.all,
    }
