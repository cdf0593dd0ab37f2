"""Every reason a shopper can read exists in German, with the names where German puts them."""

from __future__ import annotations

import pytest
from django.utils import translation

from personalization_plugin.adapters import ProductInfo
from personalization_plugin.serving.reasons import GENERIC, explain

OAK = ProductInfo(id="oak", title="Eichenstuhl")
ITEM = ProductInfo(id="3", title="Stuhl 3")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("viewed", "Weil Sie sich Eichenstuhl angesehen haben"),
        ("bought_with", "Oft zusammen mit Eichenstuhl gekauft"),
        ("similar", "Ähnlich wie Eichenstuhl"),
    ],
)
def test_reasons_naming_the_shoppers_product_in_german(code: str, expected: str) -> None:
    with translation.override("de"):
        assert explain(code, ITEM, anchor=OAK) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("trending", "Im Trend in der Kategorie Stühle"),
        ("popular", "Beliebt in der Kategorie Stühle"),
        ("category_top", "Top in der Kategorie Stühle"),
        ("discovery", "Mal etwas anderes: Stühle"),
    ],
)
def test_reasons_naming_a_category_in_german(code: str, expected: str) -> None:
    with translation.override("de"):
        assert explain(code, ITEM, category_name="Stühle") == expected


@pytest.mark.parametrize("code", sorted(GENERIC))
def test_every_generic_reason_has_a_german_sentence(code: str) -> None:
    with translation.override("en"):
        english = explain(code, ITEM)
    with translation.override("de"):
        german = explain(code, ITEM)
    assert german and german != english


def test_reasons_follow_the_language_of_each_call() -> None:
    with translation.override("de"):
        assert explain("new", ITEM) == "Neu eingetroffen"
    with translation.override("en"):
        assert explain("new", ITEM) == "New arrival"


def test_a_product_name_with_a_percent_sign_is_inserted_verbatim() -> None:
    odd = ProductInfo(id="x", title="100% Wool %(product)s")
    with translation.override("de"):
        assert explain("viewed", ITEM, anchor=odd) == (
            "Weil Sie sich 100% Wool %(product)s angesehen haben"
        )
