"""Prices read the way the shopper's language writes them (Babel/CLDR), and never raise."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.utils import translation

from storefront_widgets.prices import format_price

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("language", "amount", "currency", "expected"),
    [
        ("en-us", Decimal("12.50"), "USD", "$12.50"),
        ("en-us", Decimal("12.50"), "EUR", "€12.50"),
        ("de", Decimal("12.50"), "EUR", f"12,50{NBSP}€"),
        ("de", Decimal("1234.50"), "EUR", f"1.234,50{NBSP}€"),
        ("de", Decimal("12.50"), "USD", f"12,50{NBSP}$"),
        ("en-us", Decimal("1234"), "JPY", "¥1,234"),
        ("de", Decimal("1234"), "JPY", f"1.234{NBSP}¥"),
        ("ja", Decimal("1234"), "JPY", "￥1,234"),
    ],
)
def test_price_follows_the_active_language(language, amount, currency, expected) -> None:
    with translation.override(language):
        assert format_price(amount, currency) == expected


def test_yen_never_shows_decimals_even_when_the_amount_has_them() -> None:
    with translation.override("en-us"):
        assert format_price(Decimal("1234.00"), "JPY") == "¥1,234"
        assert "." not in format_price(Decimal("980.40"), "JPY")


def test_an_explicit_locale_wins_over_the_active_language() -> None:
    with translation.override("en-us"):
        assert format_price(Decimal("12.5"), "EUR", locale="de_DE") == f"12,50{NBSP}€"


def test_lower_case_currency_codes_are_understood() -> None:
    with translation.override("en-us"):
        assert format_price(Decimal("3"), "usd") == "$3.00"


def test_an_unknown_currency_is_shown_plainly_with_its_code() -> None:
    with translation.override("de"):
        assert format_price(Decimal("12.5"), "XYZ") == "12.50 XYZ"


def test_a_missing_currency_shows_the_bare_amount() -> None:
    assert format_price(Decimal("12.5"), "") == "12.50"


def test_an_unknown_language_falls_back_to_the_site_language(settings) -> None:
    settings.LANGUAGE_CODE = "en-us"
    assert format_price(Decimal("12.5"), "USD", locale="xx_YY") == "$12.50"


def test_an_amount_that_is_not_a_number_does_not_raise() -> None:
    assert format_price("n/a", "EUR") == "n/a EUR"  # type: ignore[arg-type]


@pytest.mark.parametrize(("language", "expected"), [("en-us", "¥980"), ("de", f"980{NBSP}¥")])
def test_sp_price_filter_formats_a_product_in_the_active_language(language, expected) -> None:
    product = SimpleNamespace(price=Decimal("980"), currency="JPY")
    template = Template("{% load storefront_widgets %}{{ product|sp_price }}")
    with translation.override(language):
        assert template.render(Context({"product": product})) == expected


def test_sp_price_filter_renders_nothing_without_a_price() -> None:
    template = Template("{% load storefront_widgets %}[{{ product|sp_price }}]")
    assert template.render(Context({"product": SimpleNamespace(price=None)})) == "[]"
