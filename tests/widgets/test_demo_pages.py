"""The demo store's pages carry the widgets where the demo left its markers."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django.test import Client

from .test_templatetags import parse


def _lazy(html: str) -> dict[str, dict[str, list[str]]]:
    return {
        urlsplit(s["hx-get"]).path: parse_qs(urlsplit(s["hx-get"]).query)
        for s in parse(html).find("section")
        if s.get("hx-get")
    }


def test_product_page_has_bought_together_and_similar(catalog: list) -> None:
    product = catalog[0]
    html = Client().get(product.get_absolute_url()).content.decode()
    widgets = _lazy(html)
    assert widgets["/widgets/p/bought_together/"]["product_id"] == [str(product.pk)]
    assert widgets["/widgets/p/similar/"]["product_id"] == [str(product.pk)]


def test_category_page_has_category_top(catalog: list) -> None:
    html = Client().get("/c/garden/").content.decode()
    assert _lazy(html)["/widgets/p/category_top/"]["category_id"] == ["garden"]


def test_cart_page_suggests_for_the_carts_products(catalog: list) -> None:
    client = Client()
    client.post(f"/cart/add/{catalog[1].pk}/")
    html = client.get("/cart/").content.decode()
    assert _lazy(html)["/widgets/p/cart/"]["cart"] == [str(catalog[1].pk)]


def test_every_page_loads_the_assets_and_the_tracking_script(catalog: list) -> None:
    doc = parse(Client().get("/c/cookware/").content.decode())
    sources = [s.get("src") for s in doc.find("script")]
    assert "/static/storefront_widgets/htmx.min.js" in sources
    assert "/static/storefront_widgets/tracker.js" in sources


def test_product_page_ranks_its_lists_most_specific_first(catalog: list) -> None:
    product = catalog[0]
    widgets = _lazy(Client().get(product.get_absolute_url()).content.decode())
    assert "above" not in widgets["/widgets/p/bought_together/"]
    assert widgets["/widgets/p/similar/"]["above"] == [
        f"bought_together?product_id={product.pk}&limit=4"
    ]
    assert len(widgets["/widgets/p/viewed_together/"]["above"]) == 2
    more = widgets["/widgets/p/category_top/"]
    assert more["category_id"] == ["cookware"] and len(more["above"]) == 3
    assert widgets["/widgets/p/viewed_together/"]["product_id"] == [str(product.pk)]


def test_cart_page_weighs_lines_and_keeps_them_out_of_every_widget(catalog: list) -> None:
    client = Client()
    client.post(f"/cart/add/{catalog[1].pk}/", {"quantity": 3})
    client.post(f"/cart/add/{catalog[2].pk}/")
    widgets = _lazy(client.get("/cart/").content.decode())
    assert widgets["/widgets/p/cart/"]["cart"] == [f"{catalog[1].pk}:3,{catalog[2].pk}"]
    lines = {str(catalog[1].pk), str(catalog[2].pk)}
    for path in ("/widgets/p/recently_viewed/", "/widgets/p/trending/"):
        assert set(widgets[path]["exclude"][0].split(",")) == lines


def test_order_confirmation_suggests_what_goes_with_the_order(catalog: list) -> None:
    client = Client()
    client.post(f"/cart/add/{catalog[3].pk}/")
    done = client.post(
        "/checkout/", {"name": "Ada", "email": "ada@example.com", "address": "1 Lane"}
    )
    html = client.get(done["Location"]).content.decode()
    widgets = _lazy(html)
    assert widgets["/widgets/p/post_purchase/"]["cart"] == [str(catalog[3].pk)]
    assert widgets["/widgets/p/trending/"]["above"][0].startswith("post_purchase?")


def test_a_partial_steps_around_an_above_widget_that_fails(catalog: list) -> None:
    response = Client().get(
        "/widgets/p/new_arrivals/?limit=2&above=similar%3Fproduct_id%3Dno-such%26limit%3D4",
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response.content.decode().count("data-sp-product=") == 2
