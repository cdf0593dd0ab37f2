"""Widget fixtures: a small demo-store catalog (real models, real adapter) (in-process state is
reset around every test by the root conftest)."""

from __future__ import annotations

from decimal import Decimal

import pytest


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
