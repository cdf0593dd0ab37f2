"""Store activity reaches the plugin as stored events through its signals."""

from __future__ import annotations

import pytest

from personalization_plugin.models import Event
from personalization_plugin.tracking.backends import get_backend


def stored(type: str) -> list[Event]:
    get_backend().flush()
    return list(Event.objects.filter(type=type).order_by("occurred_at", "id"))


def test_product_page_records_a_view(client, product):
    client.get(product.get_absolute_url())
    assert [e.product_id for e in stored("view")] == [str(product.pk)]


def test_category_page_records_a_category_view(client, product):
    client.get("/c/cookware/")
    assert [e.category_id for e in stored("category_view")] == ["cookware"]


def test_search_records_the_query(client, product):
    client.get("/search/", {"q": "skillet"})
    assert [e.query for e in stored("search")] == ["skillet"]


def test_empty_search_records_nothing(client, product):
    client.get("/search/", {"q": "  "})
    assert stored("search") == []


def test_cart_add_and_remove_are_recorded_with_quantities(client, product):
    client.post(f"/cart/add/{product.pk}/", {"quantity": 3})
    client.post(f"/cart/update/{product.pk}/", {"quantity": 1})
    client.post(f"/cart/remove/{product.pk}/")
    assert [(e.product_id, e.quantity) for e in stored("cart_add")] == [(str(product.pk), 3)]
    assert [e.quantity for e in stored("cart_remove")] == [2, 1]


@pytest.mark.parametrize("with_account", [False, True])
def test_checkout_records_checkout_and_one_purchase_per_line(
    client, make_product, django_user_model, with_account
):
    if with_account:
        client.force_login(django_user_model.objects.create_user("ada", password="pw"))
    first, second = make_product(), make_product()
    client.post(f"/cart/add/{first.pk}/")
    client.post(f"/cart/add/{second.pk}/", {"quantity": 2})
    client.get("/checkout/")
    client.post("/checkout/", {"name": "A", "email": "a@example.com", "address": "x"})
    assert len(stored("checkout")) == 1
    purchases = stored("purchase")
    assert sorted((e.product_id, e.quantity) for e in purchases) == sorted(
        [(str(first.pk), 1), (str(second.pk), 2)]
    )
    assert len({e.order_id for e in purchases}) == 1
    assert all(bool(e.customer_id) is with_account for e in purchases)
