"""Tracking tests run against the in-memory catalog with clean in-process state."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import RequestFactory

from personalization_plugin.tracking.identity import sign_visitor_id
from tests.tracking.adapter import CatalogAdapter

ADAPTER = "tests.tracking.adapter.CatalogAdapter"


@pytest.fixture(autouse=True)
def tracking_settings(settings: Any) -> Iterator[None]:
    settings.PERSONALIZATION = {
        **settings.PERSONALIZATION,
        "ADAPTER": ADAPTER,
        "FLUSH_INTERVAL": 0,
        "CONSENT_MODE": "implied",
    }
    CatalogAdapter.calls.clear()
    yield


@pytest.fixture
def rf() -> RequestFactory:
    return RequestFactory()


@pytest.fixture
def visitor_request(rf: RequestFactory):
    """Build a GET request carrying a valid visitor cookie (and optional extra cookies/headers)."""

    def build(visitor_id: str = "a" * 32, path: str = "/", **headers: str):
        request = rf.get(path, **headers)
        request.COOKIES["sp_vid"] = sign_visitor_id(visitor_id)
        return request

    return build
