"""Demo store tests: the real shop models and adapter, with clean in-process tracking state."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
from shop.models import Category, Product

_serial = count(1)


@pytest.fixture(autouse=True)
def demo_settings(settings: Any) -> Iterator[None]:
    settings.PERSONALIZATION = {
        **settings.PERSONALIZATION,
        "ADAPTER": "shop.adapter.ShopAdapter",
        "CONSENT_MODE": "implied",
        "FLUSH_INTERVAL": 0,
    }
    yield


@pytest.fixture
def category(db: None) -> Category:
    return Category.objects.create(name="Cookware", slug="cookware", description="Pans and pots.")


@pytest.fixture
def make_product(category: Category) -> Callable[..., Product]:
    def make(**values: Any) -> Product:
        n = next(_serial)
        defaults: dict[str, Any] = {
            "title": f"Skillet {n}",
            "slug": f"skillet-{n}",
            "description": "A heavy pan.",
            "price": Decimal("39.50"),
            "stock": 10,
            "category": category,
        }
        return Product.objects.create(**{**defaults, **values})

    return make


@pytest.fixture
def product(make_product: Callable[..., Product]) -> Product:
    return make_product(title="Cast Iron Skillet", slug="cast-iron-skillet")
