"""ShopAdapter: how the plugin sees the demo catalog and orders."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from shop.adapter import ShopAdapter
from shop.models import Order, OrderLine

from personalization_plugin.adapters import StoreAdapter, get_adapter


def test_is_the_configured_adapter_and_honours_the_protocol(db):
    adapter = get_adapter()
    assert isinstance(adapter, ShopAdapter)
    assert isinstance(adapter, StoreAdapter)


def test_get_products_fetches_a_batch_in_one_query(make_product):
    products = [make_product() for _ in range(5)]
    ids = [str(p.pk) for p in products]
    with CaptureQueriesContext(connection) as queries:
        found = ShopAdapter().get_products(ids)
    assert len(queries) == 1
    assert set(found) == set(ids)


def test_get_products_leaves_unknown_and_non_integer_ids_out(product):
    found = ShopAdapter().get_products([str(product.pk), "999999", "abc", "", "1.5", "-3"])
    assert list(found) == [str(product.pk)]


def test_product_info_carries_display_fields(product):
    info = ShopAdapter().get_products([str(product.pk)])[str(product.pk)]
    assert info.title == "Cast Iron Skillet"
    assert info.url == "/products/cast-iron-skillet/"
    assert info.image_url == f"/p/{product.pk}/image.svg"
    assert info.price == Decimal("39.50")
    assert info.currency == "EUR"
    assert info.category_ids == ("cookware",)
    assert info.created_at == product.created_at


def test_out_of_stock_product_is_not_available(make_product):
    sold_out = make_product(stock=0)
    info = ShopAdapter().get_products([str(sold_out.pk)])[str(sold_out.pk)]
    assert info.in_stock is False
    assert info.available is False


def test_unpublished_product_is_returned_but_not_available(make_product):
    hidden = make_product(published=False)
    info = ShopAdapter().get_products([str(hidden.pk)])[str(hidden.pk)]
    assert info.published is False
    assert info.available is False


def test_iter_products_yields_the_whole_catalog_in_batches(make_product):
    made = {str(make_product().pk) for _ in range(7)} | {str(make_product(published=False).pk)}
    batches = list(ShopAdapter().iter_products(batch_size=3))
    assert [len(b) for b in batches] == [3, 3, 2]
    assert {p.id for b in batches for p in b} == made


def test_get_categories_names_known_slugs_only(category):
    found = ShopAdapter().get_categories(["cookware", "nope"])
    assert list(found) == ["cookware"]
    assert found["cookware"].name == "Cookware"
    assert found["cookware"].url == "/c/cookware/"


def test_iter_orders_returns_lines_and_honours_since(product, django_user_model):
    user = django_user_model.objects.create_user("buyer", password="x")
    old = Order.objects.create(
        number="HF-OLD", user=user, created_at=timezone.now() - timedelta(days=10)
    )
    new = Order.objects.create(number="HF-NEW")
    for order in (old, new):
        OrderLine.objects.create(
            order=order, product=product, title=product.title, quantity=2, unit_price=product.price
        )
    orders = list(ShopAdapter().iter_orders())
    assert [o.order_id for o in orders] == ["HF-OLD", "HF-NEW"]
    assert orders[0].customer_id == str(user.pk)
    assert orders[1].customer_id == ""
    assert orders[0].lines[0].product_id == str(product.pk)
    assert orders[0].lines[0].quantity == 2
    recent = list(ShopAdapter().iter_orders(since=timezone.now() - timedelta(days=1)))
    assert [o.order_id for o in recent] == ["HF-NEW"]
