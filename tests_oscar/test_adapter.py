"""OscarAdapter: Oscar's catalogue and stock records through the adapter protocol."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from personalization_plugin.adapters import StoreAdapter, get_adapter
from personalization_plugin.integrations.oscar.adapter import OscarAdapter

pytestmark = pytest.mark.django_db


def test_the_configured_adapter_is_the_oscar_adapter() -> None:
    adapter = get_adapter()
    assert isinstance(adapter, OscarAdapter)
    assert isinstance(adapter, StoreAdapter)


def test_get_products_returns_display_fields_from_product_and_stockrecord(store) -> None:
    chair = store.product("Oak Chair", price="49.50", stock=3, category="Chairs")

    info = OscarAdapter().get_products([str(chair.pk)])[str(chair.pk)]

    assert info.title == "Oak Chair"
    assert info.price == Decimal("49.50")
    assert info.currency == "GBP"
    assert info.url == chair.get_absolute_url()
    assert info.category_ids == (str(store.category("Chairs").pk),)
    assert info.in_stock and info.published
    assert info.image_url == ""


def test_get_products_costs_two_queries_whatever_the_number_of_ids(store) -> None:
    ids = [str(store.product(f"Chair {n}").pk) for n in range(12)]
    with CaptureQueriesContext(connection) as queries:
        found = OscarAdapter().get_products(ids)
    assert len(found) == 12
    assert len(queries) == 2


def test_unknown_and_non_integer_ids_are_absent(store) -> None:
    chair = store.product("Oak Chair")
    found = OscarAdapter().get_products([str(chair.pk), "999999", "UHJvZHVjdDo3Mg=="])
    assert list(found) == [str(chair.pk)]


def test_allocated_stock_counts_as_sold(store) -> None:
    chair = store.product("Oak Chair", stock=2)
    chair.stockrecords.update(num_allocated=2)
    assert OscarAdapter().get_products([str(chair.pk)])[str(chair.pk)].in_stock is False


def test_a_product_without_stockrecord_is_not_in_stock(store) -> None:
    chair = store.product("Oak Chair", price=None)
    info = OscarAdapter().get_products([str(chair.pk)])[str(chair.pk)]
    assert info.in_stock is False
    assert info.price is None


def test_a_product_class_without_stock_tracking_is_always_in_stock(store) -> None:
    store.product_class.track_stock = False
    store.product_class.save()
    chair = store.product("Oak Chair", stock=0)
    assert OscarAdapter().get_products([str(chair.pk)])[str(chair.pk)].in_stock is True


def test_is_public_false_means_unpublished(store) -> None:
    chair = store.product("Hidden Chair", public=False)
    assert OscarAdapter().get_products([str(chair.pk)])[str(chair.pk)].published is False


def test_a_parent_takes_price_and_stock_from_its_children(store) -> None:
    shirt = store.parent("Linen Shirt", category="Clothes")
    store.product("Linen Shirt S", parent=shirt, price="30.00", stock=0)
    store.product("Linen Shirt M", parent=shirt, price="25.00", stock=4)

    info = OscarAdapter().get_products([str(shirt.pk)])[str(shirt.pk)]

    assert info.price == Decimal("25.00")
    assert info.in_stock is True
    assert info.category_ids == (str(store.category("Clothes").pk),)


def test_iter_products_yields_browsable_products_in_batches(store) -> None:
    ids = {str(store.product(f"Chair {n}").pk) for n in range(5)}
    shirt = store.parent("Linen Shirt")
    variant = store.product("Linen Shirt S", parent=shirt)

    batches = list(OscarAdapter().iter_products(batch_size=2))

    seen = [p.id for batch in batches for p in batch]
    assert [len(b) for b in batches] == [2, 2, 2]
    assert set(seen) == ids | {str(shirt.pk)}
    assert str(variant.pk) not in seen


def test_primary_image_becomes_image_url(store) -> None:
    from oscar.core.loading import get_model

    chair = store.product("Oak Chair")
    get_model("catalogue", "ProductImage").objects.create(
        product=chair, original="images/products/oak.jpg", display_order=0
    )
    info = OscarAdapter().get_products([str(chair.pk)])[str(chair.pk)]
    assert info.image_url == "/media/images/products/oak.jpg"


def test_get_categories_names_oscar_categories(store) -> None:
    chairs = store.category("Chairs")
    found = OscarAdapter().get_categories([str(chairs.pk), "404"])
    assert found[str(chairs.pk)].name == "Chairs"
    assert found[str(chairs.pk)].url == chairs.get_absolute_url()
    assert "404" not in found
