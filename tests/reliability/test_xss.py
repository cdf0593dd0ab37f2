"""Script payloads in product titles, category names, search terms, segment names and
reason texts never reach a page unescaped: storefront pages, widget partials (htmx and
no-JS), admin pages, the search page. GraphQL may return them, as JSON data."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from personalization_plugin import track
from personalization_plugin.engine import training
from personalization_plugin.tracking.backends import get_backend

from .helpers import Shopper

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
RAW = ("<script>alert(1)", "<img src=x onerror", "onerror=alert(1)>")


def assert_escaped(html: str, where: str) -> None:
    for raw in RAW:
        assert raw not in html, f"{raw!r} reached {where} unescaped"


@pytest.fixture
def hostile_catalog(catalog: list[Any]) -> list[Any]:
    from shop.models import Category, Product

    category = Category.objects.create(name=f"Tools {IMG}", slug="evil", position=3)
    evil = [
        Product.objects.create(
            title=f"Bowl {SCRIPT} {IMG} {n}",
            slug=f"evil-{n}",
            description=f"{SCRIPT} desc",
            price=Decimal("9.99"),
            currency="EUR",
            stock=5,
            category=category,
        )
        for n in range(4)
    ]
    for n in range(10):  # shoppers who view the hostile products, so every list shows them
        for product in [*evil, *catalog[:3]]:
            track("view", visitor_id=f"xss-shopper-{n}", product_id=str(product.pk))
        track("cart_add", visitor_id=f"xss-shopper-{n}", product_id=str(evil[0].pk))
    get_backend().flush()
    training.train()
    return evil


@pytest.mark.slow
def test_storefront_pages_and_partials_escape_hostile_text(hostile_catalog: list[Any]) -> None:
    shopper = Shopper()
    evil = hostile_catalog[0]
    shopper.view(evil)  # "Because you viewed <script>..." reasons
    urls = [
        "/",
        f"/products/{evil.slug}/",
        "/c/evil/",
        f"/search/?q={quote(SCRIPT + IMG)}",
        f"/search/?q={quote('Bowl')}",
        "/cart/",
        f"/widgets/p/for_you/?limit=8&title={quote(SCRIPT)}",
        f"/widgets/p/similar/?product_id={evil.pk}&title={quote(IMG)}",
        f"/widgets/p/bought_together/?product_id={evil.pk}",
        "/widgets/p/trending/?limit=8",
        "/widgets/p/recently_viewed/",
        "/widgets/p/category_top/?category_id=evil",
    ]
    seen_payload = False
    for url in urls:
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = shopper.client.get(url, **headers)
            assert response.status_code in (200, 404), (url, response.status_code)
            html = response.content.decode()
            assert_escaped(html, url)
            seen_payload |= "&lt;script&gt;" in html
    assert seen_payload, "the hostile titles were rendered (escaped) somewhere"


def test_graphql_returns_hostile_titles_only_as_json_data(hostile_catalog: list[Any]) -> None:
    text = (
        "{ recommendations(placement: TRENDING, first: 10) { items { reason product { title } } } }"
    )
    response = Client().post(
        "/graphql/", json.dumps({"query": text}), content_type="application/json"
    )
    assert response["Content-Type"].startswith("application/json")
    titles = [i["product"]["title"] for i in response.json()["data"]["recommendations"]["items"]]
    assert any(SCRIPT in t for t in titles), "data is returned as it is, JSON-encoded"


@pytest.mark.slow
def test_admin_pages_escape_hostile_names(hostile_catalog: list[Any]) -> None:
    from personalization_plugin.segments.models import Segment

    Segment.objects.create(
        name=f"VIP {SCRIPT}",
        slug="vip-evil",
        description=IMG,
        rules={"rule": "returning_visitor"},
    )
    admin = get_user_model().objects.create_superuser("xss-admin", "a@example.com", "pw")
    client = Client()
    client.force_login(admin)
    urls = [
        "/admin/",
        "/admin/personalization/",
        "/admin/personalization/models/",
        "/admin/personalization/segments/",
        "/admin/personalization/rules/",
        "/admin/personalization/rules/add/",
        "/admin/personalization/experiments/",
    ]
    segment = Segment.objects.get(slug="vip-evil")
    urls.append(f"/admin/personalization/segments/edit/{segment.pk}/")
    rendered, seen_payload = 0, False
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 302, 404), (url, response.status_code)
        if response.status_code == 200:
            rendered += 1
            html = response.content.decode()
            assert_escaped(html, url)
            seen_payload |= "&lt;script&gt;" in html
    assert rendered >= 4
    assert seen_payload, "the hostile segment name was rendered (escaped)"
