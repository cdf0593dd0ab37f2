"""The Saleor webhook endpoint: signatures, replays, and what each event does."""

from __future__ import annotations

from decimal import Decimal

import pytest

from personalization_plugin.integrations.saleor.models import (
    SaleorCheckout,
    SaleorProduct,
    WebhookDelivery,
)
from personalization_plugin.models import Event
from personalization_plugin.tracking.backends import get_backend

from . import saleor_payloads as sp
from .saleor_payloads import KEY, SECRET, send

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("saleor_app")]


def stored() -> list[tuple[str, str]]:
    get_backend().flush()
    return sorted(Event.objects.values_list("type", "product_id"))


JUICE, TONIC = sp.gid("Product", 72), sp.gid("Product", 73)


# ---- signatures ------------------------------------------------------------------------


def test_a_jws_signed_webhook_is_accepted() -> None:
    response = send("product_updated", sp.product(72, "Apple Juice"))
    assert response.status_code == 200
    assert response.json()["status"] == "processed"
    assert response.json()["signature"] == "jws"


def test_an_hmac_signed_webhook_from_an_older_saleor_is_accepted() -> None:
    payload = sp.product(72, "Apple Juice")
    response = send(
        "product_updated", payload, signature=sp.hmac_signature(sp.body(payload), SECRET)
    )
    assert response.status_code == 200
    assert response.json()["signature"] == "hmac"


def test_a_webhook_without_signature_is_rejected_with_401_and_stores_nothing() -> None:
    response = send("order_created", sp.order_created(1, [sp.line(72, "Juice")]), signature="")
    assert response.status_code == 401
    assert "Saleor-Signature header is missing" in response.json()["error"]
    assert stored() == [] and not WebhookDelivery.objects.exists()


def test_a_body_changed_after_signing_is_rejected() -> None:
    genuine = sp.body(sp.order_created(1, [sp.line(72, "Juice", quantity=1)]))
    forged = sp.body(sp.order_created(1, [sp.line(72, "Juice", quantity=50)]))
    response = send("order_created", None, raw=forged, signature=KEY.sign(genuine))
    assert response.status_code == 401
    assert response.json() == {"error": "The JWS signature does not match the body."}
    assert stored() == []


def test_a_jws_signed_with_another_key_is_rejected() -> None:
    data = sp.body(sp.product(72, "Apple Juice"))
    response = send("product_updated", None, raw=data, signature=sp.SaleorKey().sign(data))
    assert response.status_code == 401
    assert not SaleorProduct.objects.exists()


def test_a_jws_with_an_unknown_key_id_is_rejected() -> None:
    data = sp.body(sp.product(72, "Apple Juice"))
    response = send(
        "product_updated", None, raw=data, signature=sp.SaleorKey(kid="other").sign(data)
    )
    assert response.status_code == 401
    assert "No key with kid 'other'" in response.json()["error"]


def test_a_forged_hmac_is_rejected() -> None:
    payload = sp.product(72, "Apple Juice")
    response = send(
        "product_updated", payload, signature=sp.hmac_signature(sp.body(payload), "guess")
    )
    assert response.status_code == 401
    assert response.json() == {"error": "The HMAC signature does not match the body."}


def test_a_jws_with_an_embedded_payload_is_rejected() -> None:
    data = sp.body(sp.product(72, "Apple Juice"))
    head, _, sig = KEY.sign(data).split(".")
    response = send("product_updated", None, raw=data, signature=f"{head}.e30.{sig}")
    assert response.status_code == 401
    assert "detached" in response.json()["error"]


# ---- replays ---------------------------------------------------------------------------


def test_a_replayed_delivery_returns_duplicate_and_stores_nothing_more() -> None:
    payload = sp.order_created(1, [sp.line(72, "Juice"), sp.line(73, "Tonic")])
    first = send("order_created", payload)
    again = send("order_created", payload)
    assert first.json()["events"] == 2
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert stored() == [("purchase", JUICE), ("purchase", TONIC)]


def test_saleor_event_id_header_identifies_a_delivery() -> None:
    send("product_updated", sp.product(72, "Apple Juice"), saleor_event_id="evt-1")
    response = send("product_updated", sp.product(72, "Apple Juice v2"), saleor_event_id="evt-1")
    assert response.json()["status"] == "duplicate"
    assert SaleorProduct.objects.get().title == "Apple Juice"


def test_deliveries_older_than_a_week_are_forgotten() -> None:
    from datetime import timedelta

    from django.utils import timezone

    WebhookDelivery.objects.create(
        delivery_id="old",
        event_type="order_created",
        received_at=timezone.now() - timedelta(days=8),
    )
    send("product_updated", sp.product(72, "Apple Juice"))
    assert list(WebhookDelivery.objects.values_list("event_type", flat=True)) == ["product_updated"]


def test_a_rejected_payload_is_not_remembered_so_a_retry_is_processed() -> None:
    response = send("order_created", {"order": {"lines": []}})
    assert response.status_code == 400
    assert "order.id" in response.json()["error"]
    assert not WebhookDelivery.objects.exists()


def test_a_body_that_is_not_json_is_a_400() -> None:
    response = send("order_created", None, raw=b"<xml/>")
    assert response.status_code == 400
    assert response.json() == {"error": "The body is not JSON."}


def test_an_event_the_app_does_not_handle_is_acknowledged_and_ignored() -> None:
    response = send("invoice_sent", {"invoice": {"id": "x"}})
    assert response.json() == {"status": "ignored", "event": "invoice_sent"}


# ---- events ----------------------------------------------------------------------------


def test_order_created_tracks_each_line_with_global_ids_and_prices() -> None:
    send("order_created", sp.order_created(9, [sp.line(72, "Juice", 2, "3.50")], user_pk=5))
    get_backend().flush()
    event = Event.objects.get()
    assert (event.type, event.product_id, event.quantity) == ("purchase", JUICE, 2)
    assert (event.price, event.currency) == (Decimal("3.50"), "USD")
    assert event.customer_id == sp.gid("User", 5)
    assert event.order_id == "9"


def test_order_created_uses_the_storefront_visitor_id_from_metadata() -> None:
    send("order_created", sp.order_created(9, [sp.line(72, "Juice")], visitor="vis-42"))
    get_backend().flush()
    assert Event.objects.get().visitor_id == "vis-42"


def test_products_first_seen_in_an_order_enter_the_catalog_cache() -> None:
    send("order_created", sp.order_created(9, [sp.line(72, "Apple Juice")]))
    assert SaleorProduct.objects.get(product_id=JUICE).title == "Apple Juice"


def test_checkout_updates_become_cart_adds_and_removes_by_quantity_change() -> None:
    send("checkout_created", sp.checkout(1, [sp.line(72, "Juice", 1)]))
    send("checkout_updated", sp.checkout(1, [sp.line(72, "Juice", 3), sp.line(73, "Tonic", 1)]))
    send("checkout_updated", sp.checkout(1, [sp.line(72, "Juice", 3)]))
    get_backend().flush()
    rows = Event.objects.order_by("pk").values_list("type", "product_id", "quantity")
    assert list(rows) == [
        ("cart_add", JUICE, 1),
        ("cart_add", JUICE, 2),
        ("cart_add", TONIC, 1),
        ("cart_remove", TONIC, 1),
    ]
    assert SaleorCheckout.objects.get().quantities == {JUICE: 3}


def test_product_updated_stores_display_fields_for_serving() -> None:
    send("product_updated", sp.product(72, "Apple Juice"))
    row = SaleorProduct.objects.get(product_id=JUICE)
    assert (row.title, row.url, row.price, row.currency) == (
        "Apple Juice",
        "/products/apple-juice/",
        Decimal("4.50"),
        "USD",
    )
    assert row.image_url == "https://cdn.example.com/72.png"
    assert row.category_ids == [sp.gid("Category", 3)]
    assert row.published and row.in_stock


def test_product_updated_unpublished_in_every_channel_is_unpublished() -> None:
    send("product_updated", sp.product(72, "Apple Juice", channelListings=[{"isPublished": False}]))
    assert SaleorProduct.objects.get().published is False


def test_product_deleted_marks_the_product_unpublished() -> None:
    send("product_updated", sp.product(72, "Apple Juice"))
    send("product_deleted", {"product": {"id": JUICE, "name": "Apple Juice"}})
    assert SaleorProduct.objects.get(product_id=JUICE).published is False


def test_customer_deleted_erases_the_customers_events_and_checkouts() -> None:
    user = sp.gid("User", 5)
    send("order_created", sp.order_created(9, [sp.line(72, "Juice")], user_pk=5))
    send("order_created", sp.order_created(10, [sp.line(73, "Tonic")], user_pk=6))
    cart = sp.checkout(1, [sp.line(72, "Juice")], visitor="vis-5")
    cart["checkout"]["user"] = {"id": user}
    send("checkout_updated", cart)
    get_backend().flush()

    response = send("customer_deleted", {"user": {"id": user}})

    assert response.status_code == 200
    assert not Event.objects.filter(customer_id=user).exists()
    assert Event.objects.filter(customer_id=sp.gid("User", 6)).count() == 1
    assert not SaleorCheckout.objects.exists()


def test_an_opted_out_customer_is_not_tracked_from_orders(personalization) -> None:
    from personalization_plugin.models import PrivacyChoice

    PrivacyChoice.objects.create(subject=f"c:{sp.gid('User', 5)}", consent="denied")
    response = send("order_created", sp.order_created(9, [sp.line(72, "Juice")], user_pk=5))
    assert response.json()["events"] == 0
    assert stored() == []
