"""Saleor's keys from its JWKS URL, and the subscription queries the app declares."""

from __future__ import annotations

from typing import Any

import pytest

from personalization_plugin.integrations.saleor.handlers import HANDLERS
from personalization_plugin.integrations.saleor.signatures import _jwks_client
from personalization_plugin.integrations.saleor.subscriptions import (
    SUBSCRIPTIONS,
    manifest_webhooks,
)

from . import saleor_payloads as sp


@pytest.fixture
def jwks_from_url(settings: Any, live_server: Any) -> Any:
    settings.PERSONALIZATION_SALEOR = {"JWKS_URL": f"{live_server.url}/.well-known/jwks.json"}
    _jwks_client.cache_clear()
    yield
    _jwks_client.cache_clear()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("saleor_app", "jwks_from_url")
def test_a_jws_is_verified_with_the_key_fetched_from_saleors_jwks_url() -> None:
    response = sp.send("product_updated", sp.product(72, "Apple Juice"))
    assert response.status_code == 200
    assert response.json()["signature"] == "jws"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("saleor_app", "jwks_from_url")
def test_a_jws_by_a_key_missing_from_saleors_jwks_url_is_rejected() -> None:
    data = sp.body(sp.product(72, "Apple Juice"))
    response = sp.send(
        "product_updated", None, raw=data, signature=sp.SaleorKey(kid="x").sign(data)
    )
    assert response.status_code == 401
    assert "Could not get Saleor's key 'x'" in response.json()["error"]


def test_every_handled_event_has_a_subscription_query() -> None:
    assert {name.lower() for name in SUBSCRIPTIONS} == set(HANDLERS)


def test_the_manifest_sends_every_event_to_the_webhook_url() -> None:
    hooks = manifest_webhooks("https://app.example.com/personalization/saleor/webhooks/")
    assert sorted(e for hook in hooks for e in hook["asyncEvents"]) == sorted(SUBSCRIPTIONS)
    assert {hook["targetUrl"] for hook in hooks} == {
        "https://app.example.com/personalization/saleor/webhooks/"
    }
    assert all(hook["query"].startswith("subscription { event {") for hook in hooks)
