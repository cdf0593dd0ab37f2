"""Fixtures for platform integration tests: clean in-process tracking state per test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def integration_settings(settings: Any) -> Iterator[None]:
    settings.PERSONALIZATION = {
        **settings.PERSONALIZATION,
        "ADAPTER": "shop.adapter.ShopAdapter",
        "CONSENT_MODE": "implied",
        "FLUSH_INTERVAL": 0,
    }
    yield


@pytest.fixture
def saleor_app(settings: Any) -> None:
    """A Saleor App deployment: webhook URLs, the Saleor catalog adapter, Saleor's keys."""
    from .saleor_payloads import KEY, SECRET

    settings.ROOT_URLCONF = "tests.integrations.saleor_urls"
    settings.PERSONALIZATION = {
        **settings.PERSONALIZATION,
        "ADAPTER": "personalization_plugin.integrations.saleor.adapter.SaleorCatalogAdapter",
    }
    settings.PERSONALIZATION_SALEOR = {"JWKS": KEY.jwks, "SECRET_KEY": SECRET}
