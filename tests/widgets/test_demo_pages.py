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
