"""The cart context processor gives every template the cart's product ids as strings."""

from __future__ import annotations

from django.test import RequestFactory
from shop.context_processors import cart


def test_request_without_a_session_has_an_empty_cart(db):
    context = cart(RequestFactory().get("/"))
    assert context["cart_product_ids"] == []
    assert context["cart_count"] == 0


def test_cart_ids_are_strings_in_cart_order(client, make_product):
    first, second = make_product(), make_product()
    client.post(f"/cart/add/{second.pk}/", {"quantity": 3})
    client.post(f"/cart/add/{first.pk}/")
    context = client.get("/cart/").context
    assert context["cart_product_ids"] == [str(second.pk), str(first.pk)]
    assert context["cart_count"] == 4


def test_every_page_gets_the_categories_for_navigation(client, category):
    assert [c.slug for c in client.get("/search/").context["nav_categories"]()] == ["cookware"]
