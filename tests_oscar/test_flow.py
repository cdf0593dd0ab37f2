"""The whole loop in a real Oscar shop: browse, add to basket, order, train, recommend."""

from __future__ import annotations

import pytest
from django.test import Client

from personalization_plugin.engine import registry
from personalization_plugin.engine.training import train
from personalization_plugin.models import Event
from personalization_plugin.serving import recommend
from personalization_plugin.tracking.backends import get_backend

from .oscar_flow import add_to_basket, place_order, view_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def model_dir(settings, tmp_path):
    settings.PERSONALIZATION = {
        **settings.PERSONALIZATION,
        "MODEL_DIR": str(tmp_path),
        "FACTORS": 8,
        "ITERATIONS": 5,
    }
    registry.reset()
    yield tmp_path
    registry.reset()


@pytest.fixture
def catalogue(store):
    """A chair and its cushion (bought together), plus other furniture."""
    chair = store.product("Oak Chair", price="80.00", category="Chairs")
    cushion = store.product("Wool Cushion", price="15.00", category="Textiles")
    others = [
        store.product(title, price="30.00", category=category)
        for title, category in [
            ("Pine Table", "Tables"),
            ("Brass Lamp", "Lamps"),
            ("Linen Throw", "Textiles"),
            ("Birch Stool", "Chairs"),
        ]
    ]
    return chair, cushion, others


def shop(products_viewed, products_bought) -> Client:
    """One anonymous shopper in their own browser: views, basket additions, an order."""
    client = Client()
    for product in products_viewed:
        view_product(client, product)
    for product in products_bought:
        add_to_basket(client, product)
    if products_bought:
        place_order(client)
    return client


def test_viewing_an_oscar_product_page_tracks_a_view(catalogue) -> None:
    chair, _, _ = catalogue
    view_product(Client(), chair)
    get_backend().flush()
    assert list(Event.objects.values_list("type", "product_id")) == [("view", str(chair.pk))]


def test_adding_to_an_oscar_basket_tracks_a_cart_add_with_the_price(catalogue) -> None:
    chair, _, _ = catalogue
    add_to_basket(Client(), chair)
    get_backend().flush()
    event = Event.objects.get()
    assert (event.type, event.product_id, str(event.price)) == ("cart_add", str(chair.pk), "80.00")


def test_an_order_placed_by_oscar_is_one_purchase_per_line_for_the_same_visitor(catalogue) -> None:
    chair, cushion, _ = catalogue
    client = shop([chair], [chair, cushion])
    get_backend().flush()

    purchases = Event.objects.filter(type="purchase")
    viewer = Event.objects.get(type="view").visitor_id
    assert sorted(purchases.values_list("product_id", flat=True)) == sorted(
        [str(chair.pk), str(cushion.pk)]
    )
    assert set(purchases.values_list("visitor_id", flat=True)) == {viewer}
    assert client.cookies  # the shopper kept one browser throughout


def test_oscar_search_tracks_the_query(catalogue) -> None:
    Client().get("/search/", {"q": "oak chair"})
    get_backend().flush()
    assert list(Event.objects.values_list("type", "query")) == [("search", "oak chair")]


def test_a_failing_adapter_never_breaks_oscar_pages(catalogue, settings) -> None:
    chair, _, _ = catalogue
    settings.PERSONALIZATION = {
        **settings.PERSONALIZATION,
        "ADAPTER": "tests_oscar.broken.BrokenAdapter",
    }
    response = view_product(Client(), chair)
    assert b"Oak Chair" in response.content
    get_backend().flush()
    assert not Event.objects.exists()


def test_orders_in_oscar_change_what_is_bought_together(catalogue, model_dir) -> None:
    chair, cushion, others = catalogue
    table, lamp, throw, stool = others
    for n in range(6):
        shop([chair, table], [chair, cushion])
        shop([lamp, throw], [lamp])
        shop([stool, table], [table, throw] if n % 2 else [stool])
    before = recommend("bought_together", product_id=str(chair.pk), limit=4)
    get_backend().flush()

    version = train()
    after = recommend("bought_together", product_id=str(chair.pk), limit=4)

    assert before.model_version == ""
    assert after.model_version == version.version
    assert after.items[0].product.id == str(cushion.pk)
    assert after.items[0].reason_code == "bought_with"


def test_the_widget_renders_inside_oscars_product_template(catalogue, model_dir) -> None:
    chair, cushion, _ = catalogue
    for _ in range(4):
        shop([chair], [chair, cushion])
    get_backend().flush()
    train()

    response = view_product(Client(), chair)

    html = response.content.decode()
    section = html[html.index('id="sp-bought-together"') :]
    assert "Bought together" in section
    assert "Wool Cushion" in section
    assert cushion.get_absolute_url() in section
