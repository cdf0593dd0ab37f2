"""A German browser gets the storefront's personalization in German, from the committed
catalogue, through LocaleMiddleware; an English one keeps the English text."""

from __future__ import annotations

import re
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation

HTMX = {"HTTP_HX_REQUEST": "true"}
NBSP = "\u00a0"


def reasons(html: str) -> list[str]:
    return re.findall(r'class="sp-item__reason">([^<]*)<', html)


def prices(html: str) -> list[str]:
    return re.findall(r'class="sp-item__price">([^<]*)<', html)


def test_consent_banner_asks_a_german_shopper_in_german(
    german_browser: Client, catalog: list[Any], personalization: Any
) -> None:
    personalization(CONSENT_MODE="required")
    html = german_browser.get("/products/").content.decode()
    assert "Dürfen wir uns merken, was Sie sich in diesem Shop ansehen" in html
    assert ">Ja, personalisieren</button>" in html
    assert ">Nein, danke</button>" in html
    assert "May we remember" not in html


def test_consent_banner_stays_english_for_an_english_shopper(
    english_browser: Client, catalog: list[Any], personalization: Any
) -> None:
    personalization(CONSENT_MODE="required")
    html = english_browser.get("/products/").content.decode()
    assert "May we remember what you look at in this store" in html
    assert ">Yes, personalize</button>" in html


def test_widget_reasons_and_prices_are_german_for_a_german_shopper(
    german_browser: Client, trending_bowl: Any
) -> None:
    html = german_browser.get("/widgets/p/trending/?limit=3", **HTMX).content.decode()
    assert reasons(html)[0] == "Im Trend in der Kategorie Cookware"
    assert set(prices(html)) == {f"12,50{NBSP}€"}


def test_the_same_widget_is_english_for_an_english_shopper(
    english_browser: Client, trending_bowl: Any
) -> None:
    html = english_browser.get("/widgets/p/trending/?limit=3", **HTMX).content.decode()
    assert reasons(html)[0] == "Trending in Cookware"
    assert set(prices(html)) == {"€12.50"}


def test_standalone_widget_page_declares_the_shoppers_language(german_browser: Client) -> None:
    response = german_browser.get("/widgets/p/trending/")
    body = response.content.decode()
    assert '<html lang="de">' in body
    assert "Noch keine Empfehlungen vorhanden." in body  # an empty store: the empty state


def test_a_sold_out_item_says_so_in_german() -> None:
    product = SimpleNamespace(
        id="7", url="/p/7/", title="Bowl", image_url="", price=Decimal("12.5"),
        currency="EUR", in_stock=False,
    )  # fmt: skip
    item = SimpleNamespace(product=product, reason="", reason_code="popular", position=1)
    with translation.override("de"):
        html = render_to_string("storefront_widgets/item.html", {"item": item})
    assert '<p class="sp-item__stock">Nicht vorrätig</p>' in html
    assert f"12,50{NBSP}€" in html


def test_consent_api_explains_a_bad_choice_in_german(german_browser: Client) -> None:
    response = german_browser.post(
        "/personalization/consent/", '{"consent": "maybe"}', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"] == 'Senden Sie consent="granted" oder consent="denied".'


@pytest.mark.slow
def test_privacy_views_tell_a_german_shopper_to_retry_in_german(
    german_browser: Client, own_redis: Any
) -> None:
    german_browser.get("/products/")  # a visitor cookie, so there is someone to forget
    own_redis.kill()
    forget = german_browser.post(
        "/personalization/forget-me/", "{}", content_type="application/json"
    )
    assert forget.status_code == 503
    assert forget.json()["error"].startswith("Ihr Widerspruch ist gespeichert")
    export = german_browser.get("/personalization/my-data/")
    assert export.status_code == 503
    assert export.json()["error"] == (
        "Ihre Daten können gerade nicht exportiert werden; "
        "bitte versuchen Sie es in einer Minute erneut."
    )
