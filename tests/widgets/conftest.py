"""Widget fixtures: a small demo-store catalog (real models, real adapter) and clean
serving/real-time state around every test."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from personalization_plugin.serving import clear_caches
from personalization_plugin.tracking.realtime import get_local_realtime


def _reset() -> None:
    clear_caches()
    get_local_realtime().clear()
    try:
        from personalization_plugin.tracking.products import clear_cache
    except ImportError:
        return
    clear_cache()


@pytest.fixture(autouse=True)
def clean_state() -> Iterator[None]:
    _reset()
    yield
    _reset()


@pytest.fixture
def catalog(db) -> list:
    """Twelve published, in-stock products in two categories, newest last."""
    from shop.models import Category, Product

    cookware = Category.objects.create(name="Cookware", slug="cookware", position=1)
    garden = Category.objects.create(name="Garden", slug="garden", position=2)
    products = []
    for n in range(1, 13):
        products.append(
            Product.objects.create(
                title=f"Stoneware Bowl {n}" if n % 2 else f"Garden Trowel {n}",
                slug=f"product-{n}",
                price=Decimal(f"{10 + n}.50"),
                currency="EUR",
                stock=10,
                category=cookware if n % 2 else garden,
            )
        )
    return products
