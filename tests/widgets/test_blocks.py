"""Wagtail blocks render the same lazy widgets as the template tags."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from wagtail.blocks.struct_block import StructBlockValidationError

from storefront_widgets.blocks import RecentlyViewedBlock, RecommendationsBlock
from storefront_widgets.templatetags.storefront_widgets import widget_placements

from .test_templatetags import parse


def test_recommendations_block_renders_a_lazy_placeholder() -> None:
    block = RecommendationsBlock()
    value = block.to_python(
        {"placement": "trending", "title": "Hot", "count": 6, "layout": "row", "category_id": ""}
    )
    (section,) = parse(str(block.render(value))).find("section")
    url = urlsplit(section["hx-get"])
    assert url.path == "/widgets/p/trending/"
    assert parse_qs(url.query) == {"limit": ["6"], "title": ["Hot"], "layout": ["row"]}
    assert section["hx-trigger"] == "revealed"


def test_recently_viewed_block_renders_its_placement() -> None:
    block = RecentlyViewedBlock()
    value = block.to_python({"title": "", "count": 4, "layout": "grid"})
    (section,) = parse(str(block.render(value))).find("section")
    assert urlsplit(section["hx-get"]).path == "/widgets/p/recently_viewed/"


def test_block_count_is_limited_to_24() -> None:
    block = RecommendationsBlock()
    with pytest.raises(StructBlockValidationError):
        block.clean(block.to_python({"placement": "for_you", "count": 99, "layout": "grid"}))


def test_widget_placements_lists_the_blocks_placements(db: None) -> None:
    from shop.models import HomePage

    page = HomePage(title="Home")
    page.body = [
        ("recommendations", {"placement": "trending", "count": 4, "layout": "grid"}),
        ("recently_viewed", {"count": 4, "layout": "row"}),
    ]
    assert widget_placements(page.body) == {"trending", "recently_viewed"}


def test_block_offers_the_page_placements_with_their_labels() -> None:
    from personalization_plugin.core.placements import Placement

    choices = [c for c in RecommendationsBlock().child_blocks["placement"].field.choices if c[0]]
    assert choices == [
        ("for_you", Placement.FOR_YOU.label),
        ("trending", Placement.TRENDING.label),
        ("category_top", Placement.CATEGORY_TOP.label),
        ("recently_viewed", Placement.RECENTLY_VIEWED.label),
    ]


def _block_value(**values: object) -> object:
    block = RecommendationsBlock()
    return block.to_python(
        {"placement": "for_you", "title": "", "count": 4, "layout": "grid", **values}
    )


def test_the_owner_chooses_what_fills_a_list_with_nothing_meaningful(catalog: list) -> None:
    """Default: "Picked for you" without history renders nothing; the owner may choose
    the generic lists instead, and the filled widget is then titled for what filled it."""
    from django.test import Client

    block = RecommendationsBlock()
    default = parse(str(block.render(block.clean(_block_value())))).find("section")[0]
    chosen = parse(str(block.render(block.clean(_block_value(fallback="stand_in"))))).find(
        "section"
    )[0]
    assert "fallback" not in parse_qs(urlsplit(default["hx-get"]).query)
    assert parse_qs(urlsplit(chosen["hx-get"]).query)["fallback"] == ["stand_in"]
    client = Client()
    empty = client.get(default["hx-get"], HTTP_HX_REQUEST="true")
    filled = client.get(chosen["hx-get"], HTTP_HX_REQUEST="true")
    assert empty.status_code == 200 and empty.content == b""
    body = filled.content.decode()
    assert "data-sp-product" in body and "Picked for you" not in body
    assert re.search(r'class="sp-widget__title"[^>]*>(New arrivals|From our range|Popular)', body)


def test_a_list_cannot_fall_back_to_itself_and_top_in_category_needs_a_category() -> None:
    block = RecommendationsBlock()
    with pytest.raises(StructBlockValidationError) as itself:
        block.clean(_block_value(placement="trending", fallback="trending"))
    assert "fallback" in itself.value.block_errors
    with pytest.raises(StructBlockValidationError) as category:
        block.clean(_block_value(placement="category_top", category_id=""))
    assert "category_id" in category.value.block_errors
    assert block.clean(_block_value(placement="category_top", category_id="7"))["category_id"]
