"""Storefront pages render, and cart and checkout behave like a shop."""

from __future__ import annotations

from decimal import Decimal

import pytest
from shop.models import HomePage, Order, Product


@pytest.fixture
def client_with_cart(client, product):
    client.post(f"/cart/add/{product.pk}/", {"quantity": 2})
    return client


def test_home_page_is_the_site_root_and_renders(client, product):
    assert HomePage.objects.count() == 1
    response = client.get("/")
    assert response.status_code == 200
    assert "Cast Iron Skillet" in response.content.decode()


def test_category_page_lists_its_products(client, product):
    response = client.get("/c/cookware/")
    assert response.status_code == 200
    assert "Cast Iron Skillet" in response.content.decode()


def test_category_page_survives_a_bad_page_number(client, product):
    assert client.get("/c/cookware/?page=abc&sort=bogus").status_code == 200


def test_category_page_paginates(client, make_product):
    for _ in range(30):
        make_product()
    first = client.get("/c/cookware/").context["page"]
    second = client.get("/c/cookware/?page=2").context["page"]
    assert len(first.object_list) == 24
    assert len(second.object_list) == 6


def test_product_page_renders_and_offers_the_product_id(client, product):
    response = client.get("/products/cast-iron-skillet/")
    assert response.status_code == 200
    assert response.context["product_id"] == str(product.pk)
    assert "Add to cart" in response.content.decode()


def test_unpublished_product_page_is_not_found(client, make_product):
    hidden = make_product(published=False)
    assert client.get(hidden.get_absolute_url()).status_code == 404


def test_sold_out_product_cannot_be_added_to_the_cart(client, make_product):
    sold_out = make_product(stock=0)
    client.post(f"/cart/add/{sold_out.pk}/")
    assert client.get("/cart/").context["cart_product_ids"] == []


def test_product_image_is_a_deterministic_svg_with_alt_text(client, product):
    first = client.get(f"/p/{product.pk}/image.svg")
    second = client.get(f"/p/{product.pk}/image.svg")
    assert first["Content-Type"] == "image/svg+xml"
    assert first.content == second.content
    assert b"<title>Cast Iron Skillet</title>" in first.content


def test_product_image_escapes_the_title(client, make_product):
    odd = make_product(title="Pot <script> & Pan")
    body = client.get(f"/p/{odd.pk}/image.svg").content.decode()
    assert "<script>" not in body and "Pot &lt;script&gt; &amp; Pan" in body


def test_search_finds_products_by_every_word(client, product, make_product):
    make_product(title="Linen Apron")
    response = client.get("/search/", {"q": "iron skillet"})
    assert [p.title for p in response.context["page"].object_list] == ["Cast Iron Skillet"]


def test_empty_search_renders_without_results(client, product):
    response = client.get("/search/?q=")
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0


def test_cart_add_puts_ids_in_the_context_as_strings(client_with_cart, product):
    response = client_with_cart.get("/cart/")
    assert response.context["cart_product_ids"] == [str(product.pk)]
    assert response.context["cart_count"] == 2
    assert response.context["total"] == Decimal("79.00")


def test_cart_update_to_zero_removes_the_line(client_with_cart, product):
    client_with_cart.post(f"/cart/update/{product.pk}/", {"quantity": 0})
    assert client_with_cart.get("/cart/").context["cart_product_ids"] == []


def test_cart_remove_empties_the_line(client_with_cart, product):
    client_with_cart.post(f"/cart/remove/{product.pk}/")
    assert client_with_cart.get("/cart/").context["lines"] == []


def test_checkout_with_empty_cart_goes_back_to_the_cart(client, db):
    response = client.get("/checkout/")
    assert response.status_code == 302 and response["Location"] == "/cart/"


def test_checkout_creates_an_order_and_empties_the_cart(client_with_cart, product):
    assert client_with_cart.get("/checkout/").status_code == 200
    response = client_with_cart.post(
        "/checkout/", {"name": "Ada", "email": "ada@example.com", "address": "1 Lane"}
    )
    order = Order.objects.get()
    assert response["Location"] == f"/checkout/done/{order.number}/"
    assert order.total == Decimal("79.00")
    assert [(line.product_id, line.quantity) for line in order.lines.all()] == [(product.pk, 2)]
    assert Product.objects.get(pk=product.pk).stock == 8
    assert client_with_cart.get(response["Location"]).status_code == 200
    assert client_with_cart.get("/cart/").context["cart_product_ids"] == []


def test_checkout_rejects_a_missing_address_and_keeps_the_cart(client_with_cart, product):
    response = client_with_cart.post("/checkout/", {"name": "Ada", "email": "ada@example.com"})
    assert response.status_code == 200
    assert "address" in response.context["form"].errors
    assert Order.objects.count() == 0


def test_another_visitor_cannot_see_an_order_confirmation(client_with_cart, product):
    from django.test import Client

    client_with_cart.post("/checkout/", {"name": "A", "email": "a@example.com", "address": "x"})
    number = Order.objects.get().number
    assert Client().get(f"/checkout/done/{number}/").status_code == 404


def test_order_history_lists_the_signed_in_customers_orders(client, product, django_user_model):
    user = django_user_model.objects.create_user("ada", password="pw")
    client.force_login(user)
    client.post(f"/cart/add/{product.pk}/")
    client.post("/checkout/", {"name": "Ada", "email": "ada@example.com", "address": "x"})
    response = client.get("/accounts/orders/")
    assert [o.user_id for o in response.context["page"].object_list] == [user.pk]


def test_order_history_needs_a_login(client, db):
    assert client.get("/accounts/orders/")["Location"].startswith("/accounts/login/")


def test_signup_creates_an_account_and_signs_in(client, db, django_user_model):
    response = client.post(
        "/accounts/signup/",
        {"username": "newbie", "password1": "s3cret-pass", "password2": "s3cret-pass"},
    )
    assert response.status_code == 302
    assert django_user_model.objects.filter(username="newbie").exists()
    assert client.get("/accounts/orders/").status_code == 200


def test_login_page_renders(client, db):
    assert client.get("/accounts/login/").status_code == 200
