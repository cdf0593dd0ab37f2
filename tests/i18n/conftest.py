"""i18n fixtures: a small demo-store catalog and browsers that ask for a language."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

# A redis-server this test process owns, to make the privacy views meet an outage.
from tests.reliability.conftest import own_redis, own_redis_server  # noqa: F401


@pytest.fixture
def catalog(db: None) -> list[Any]:
    """Six in-stock bowls at 12.50 EUR in one category, "Cookware"."""
    from shop.models import Category, Product

    cookware = Category.objects.create(name="Cookware", slug="cookware", position=1)
    return [
        Product.objects.create(
            title=f"Stoneware Bowl {n}",
            slug=f"bowl-{n}",
            price=Decimal("12.50"),
            currency="EUR",
            stock=10,
            category=cookware,
        )
        for n in range(1, 7)
    ]


@pytest.fixture
def trending_bowl(catalog: list[Any]) -> Any:
    """A bowl other shoppers viewed, so the trending list names its category."""
    from personalization_plugin import track

    for n in range(3):
        track("view", visitor_id=f"i18n-shopper-{n}", product_id=str(catalog[1].pk))
    return catalog[1]


@pytest.fixture
def german_browser(db: None) -> Client:
    """A browser whose Accept-Language asks for German (LocaleMiddleware reads it)."""
    return Client(HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5")


@pytest.fixture
def english_browser(db: None) -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
