"""Wagtail blocks render the same lazy widgets as the template tags."""

from __future__ import annotations

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
