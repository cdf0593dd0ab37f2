"""WidgetParams: one validation for tags, partials and blocks; a lossless query string."""

from __future__ import annotations

import pytest
from django.http import QueryDict

from personalization_plugin.core.exceptions import InvalidWidgetParameter, UnknownWidgetPlacement
from storefront_widgets.params import WidgetParams


def test_query_string_round_trips() -> None:
    params = WidgetParams.build(
        "cart", cart=["3", "4"], limit=5, title="Add these", layout="row", category_id="garden"
    )
    again = WidgetParams.from_query("cart", QueryDict(params.query_string()))
    assert again == params


def test_cart_ids_are_deduplicated_in_order() -> None:
    assert WidgetParams.build("cart", cart="4,3,4").cart == ("4", "3")


def test_default_heading_per_placement() -> None:
    assert WidgetParams.build("bought_together").heading == "Frequently bought together"
    assert WidgetParams.build("for_you", title="Mine").heading == "Mine"


def test_unknown_layout_is_rejected_with_the_choices() -> None:
    with pytest.raises(InvalidWidgetParameter, match="layout must be one of grid, row"):
        WidgetParams.build("for_you", layout="carousel")


def test_too_long_product_id_is_rejected() -> None:
    with pytest.raises(InvalidWidgetParameter, match="product_id may be at most 128"):
        WidgetParams.build("similar", product_id="9" * 200)


def test_unknown_placement_lists_the_known_ones() -> None:
    with pytest.raises(UnknownWidgetPlacement, match="use one of: for_you, similar"):
        WidgetParams.build("nope")


def test_every_placement_is_a_widget_placement_with_its_default_heading() -> None:
    from personalization_plugin.core.placements import Placement

    for placement in Placement:
        assert WidgetParams.build(placement.value).heading == placement.title
