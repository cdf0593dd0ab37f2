"""Forged Saleor webhooks: any signature that Saleor's key did not make, on any body,
is refused (401/400, never a 500) and stores nothing."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from personalization_plugin.integrations.saleor.models import WebhookDelivery
from personalization_plugin.models import Event
from personalization_plugin.tracking.backends import get_backend
from tests.integrations import saleor_payloads as sp

b64 = st.binary(max_size=80).map(lambda b: base64.urlsafe_b64encode(b).decode().rstrip("="))
signatures = (
    st.text(max_size=120)
    | st.builds(lambda a, b, c: f"{a}.{b}.{c}", b64, b64, b64)
    | st.builds(lambda a, c: f"{a}..{c}", b64, b64)
    | st.sampled_from(["", ".", "..", "a.b.c", "null", "eyJhbGciOiJub25lIn0..", "x" * 5000])
)
bodies = st.sampled_from(
    [
        sp.body(sp.order_created(1, [sp.line(72, "Juice")])),
        sp.body(sp.product(72, "Apple Juice")),
        b"{}",
        b"not json",
        b"\xff\xfe",
    ]
)


@pytest.fixture
def saleor_app(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.integrations.saleor_urls"
    settings.PERSONALIZATION = {
        **settings.PERSONALIZATION,
        "ADAPTER": "personalization_plugin.integrations.saleor.adapter.SaleorCatalogAdapter",
    }
    settings.PERSONALIZATION_SALEOR = {"JWKS": sp.KEY.jwks, "SECRET_KEY": sp.SECRET}


@pytest.mark.slow
@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    signature=signatures,
    data=bodies,
    event=st.sampled_from(["order_created", "product_updated", "checkout_updated"]),
)
def test_forged_signatures_are_refused_and_store_nothing(
    db: None, saleor_app: None, signature: str, data: bytes, event: str
) -> None:
    if not signature.strip() or any(ord(c) < 32 or ord(c) > 126 for c in signature):
        signature = signature.encode("ascii", "ignore").decode().strip() or "bogus"
    response = sp.send(event, None, signature=signature, raw=data)
    assert response.status_code in (400, 401), (signature[:80], response.status_code)
    assert response.json()["error"]
    get_backend().flush()
    assert not Event.objects.exists() and not WebhookDelivery.objects.exists()


def test_a_body_signed_by_saleor_is_accepted(db: None, saleor_app: None) -> None:
    response = sp.send("product_updated", sp.product(72, "Apple Juice"))
    assert response.status_code == 200, "the forgery test above is not refusing everything"
