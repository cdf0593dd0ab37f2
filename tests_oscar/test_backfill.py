"""Backfilling an Oscar shop's past orders with `personalization_import`."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from personalization_plugin.integrations.oscar.adapter import OscarAdapter
from personalization_plugin.integrations.oscar.receivers import connect_signals, disconnect_signals
from personalization_plugin.models import Event

from .oscar_flow import add_to_basket, place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def plugin_not_yet_installed() -> Iterator[None]:
    """Orders placed before the shop installed the plugin: no signal reached it."""
    disconnect_signals()
    yield
    connect_signals()


@pytest.fixture
def past_orders(store, plugin_not_yet_installed):
    chair = store.product("Oak Chair", price="80.00")
    shirt = store.parent("Linen Shirt", category="Clothes")
    medium = store.product("Linen Shirt M", parent=shirt, price="25.00")
    orders = []
    for _ in range(2):
        client = Client()
        add_to_basket(client, chair)
        add_to_basket(client, medium)
        orders.append(place_order(client))
    assert not Event.objects.exists()
    return chair, shirt, orders


def run_import() -> str:
    out = StringIO()
    call_command("personalization_import", "--no-progress", stdout=out, stderr=StringIO())
    return out.getvalue()


def test_iter_orders_reads_oscar_orders_with_variants_as_their_parent(past_orders) -> None:
    chair, shirt, orders = past_orders
    found = list(OscarAdapter().iter_orders())
    assert [o.order_id for o in found] == [str(o.number) for o in orders]
    assert {line.product_id for line in found[0].lines} == {str(chair.pk), str(shirt.pk)}
    assert found[0].currency == "GBP"


def test_importing_oscar_orders_stores_one_purchase_per_line(past_orders) -> None:
    assert "stored 4 new" in run_import()
    assert Event.objects.filter(type="purchase").count() == 4


def test_importing_oscar_orders_again_stores_nothing_new(past_orders) -> None:
    run_import()
    assert "stored 0 new, 4 already stored" in run_import()
    assert Event.objects.count() == 4


def test_registration_in_oscar_gives_the_visitors_history_to_the_new_customer(store) -> None:
    from personalization_plugin.tracking.backends import get_backend

    chair = store.product("Oak Chair")
    client = Client()
    client.get(chair.get_absolute_url())
    get_backend().flush()
    response = client.post(
        "/accounts/login/",
        {
            "registration-email": "new@example.com",
            "registration-password1": "a-long-password-1",
            "registration-password2": "a-long-password-1",
            "registration_submit": "Register",
        },
    )
    assert response.status_code == 302
    get_backend().flush()

    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(email="new@example.com")
    assert list(Event.objects.values_list("type", "customer_id")) == [("view", str(user.pk))]
