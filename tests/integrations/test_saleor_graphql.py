"""A Saleor storefront asks this project's GraphQL API for recommendations by Saleor ids."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from personalization_plugin.engine import registry
from personalization_plugin.engine.training import train
from personalization_plugin.tracking.backends import get_backend

from . import saleor_payloads as sp
from .saleor_payloads import send

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("saleor_app")]

QUERY = """query ($product: ID!) {
  recommendations(placement: BOUGHT_TOGETHER, productId: $product, first: 4) {
    modelVersion
    items { productId reasonCode product { id title url price currency imageUrl } }
  }
}"""
JUICE, TONIC = sp.gid("Product", 72), sp.gid("Product", 73)


@pytest.fixture
def model_dir(settings: Any, tmp_path: Any) -> Any:
    settings.PERSONALIZATION = {
        **settings.PERSONALIZATION,
        "MODEL_DIR": str(tmp_path),
        "FACTORS": 8,
        "ITERATIONS": 5,
    }
    registry.reset()
    yield tmp_path
    registry.reset()


def ask(product_id: str) -> dict[str, Any]:
    response = Client().post(
        "/graphql/",
        {"query": QUERY, "variables": {"product": product_id}},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["recommendations"]


def test_orders_from_saleor_webhooks_drive_bought_together_by_global_id(model_dir) -> None:
    send("product_updated", sp.product(72, "Apple Juice"))
    send("product_updated", sp.product(73, "Ginger Tonic"))
    for pk in range(74, 80):
        send("product_updated", sp.product(pk, f"Snack {pk}"))
    order = 0
    for customer in range(1, 9):
        order += 1
        send(
            "order_created",
            sp.order_created(
                order, [sp.line(72, "Apple Juice"), sp.line(73, "Ginger Tonic")], user_pk=customer
            ),
        )
        order += 1
        other = 74 + customer % 6
        send(
            "order_created",
            sp.order_created(
                order,
                [sp.line(other, f"Snack {other}"), sp.line(75 + customer % 4, "Snack")],
                user_pk=100 + customer,
            ),
        )
    before = ask(JUICE)
    get_backend().flush()
    version = train()

    after = ask(JUICE)

    assert before["modelVersion"] == ""
    assert after["modelVersion"] == version.version
    top = after["items"][0]
    assert (top["productId"], top["reasonCode"]) == (TONIC, "bought_with")
    assert top["product"] == {
        "id": TONIC,
        "title": "Ginger Tonic",
        "url": "/products/ginger-tonic/",
        "price": "4.50",
        "currency": "USD",
        "imageUrl": "https://cdn.example.com/73.png",
    }


def test_a_deleted_saleor_product_is_no_longer_recommended(model_dir) -> None:
    for n in range(1, 7):
        send(
            "order_created",
            sp.order_created(
                n, [sp.line(72, "Apple Juice"), sp.line(73, "Ginger Tonic")], user_pk=n
            ),
        )
    get_backend().flush()
    train()
    assert TONIC in [item["productId"] for item in ask(JUICE)["items"]]

    send("product_deleted", {"product": {"id": TONIC, "name": "Ginger Tonic"}})

    assert TONIC not in [item["productId"] for item in ask(JUICE)["items"]]
