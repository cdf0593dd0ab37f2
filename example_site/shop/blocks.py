"""StreamField blocks of the home page.

`HOME_BLOCKS` is the one list of block types `HomePage.body` accepts. Other apps (the
recommendation widgets) extend the page by appending to this list and adding a shop
migration for the changed field.
"""

from __future__ import annotations

from typing import Any

from wagtail import blocks

from storefront_widgets.blocks import (
    RecentlyViewedBlock,
    RecommendationsBlock,
    SegmentVariantsBlock,
)
from storefront_widgets.page import show


class HeroBlock(blocks.StructBlock):
    heading = blocks.CharBlock(max_length=120)
    text = blocks.TextBlock(required=False)
    button_text = blocks.CharBlock(max_length=40, required=False)
    button_link = blocks.CharBlock(
        max_length=200, required=False, help_text="A path such as /c/cookware/"
    )

    class Meta:
        template = "shop/blocks/hero.html"
        icon = "image"


class ProductGridBlock(blocks.StructBlock):
    """A grid of products chosen by a simple rule (no personalization)."""

    title = blocks.CharBlock(max_length=80, required=False)
    source = blocks.ChoiceBlock(
        choices=[
            ("new", "New arrivals"),
            ("category", "From one category"),
            ("cheap", "Under 25 EUR"),
        ],
        default="new",
    )
    category_slug = blocks.CharBlock(
        max_length=80, required=False, help_text="For 'From one category'"
    )
    count = blocks.IntegerBlock(default=8, min_value=1, max_value=24)

    class Meta:
        template = "shop/blocks/product_grid.html"
        icon = "table"

    def get_context(
        self, value: Any, parent_context: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        from .models import Product

        context = super().get_context(value, parent_context=parent_context)
        products = Product.objects.published().filter(stock__gt=0).select_related("category")
        source = value.get("source")
        if source == "category" and value.get("category_slug"):
            products = products.filter(category__slug=value["category_slug"])
        elif source == "cheap":
            products = products.filter(price__lt=25).order_by("price")
        context["products"] = list(products[: value.get("count") or 8])
        # The page's recommendation widgets step around what this grid shows.
        show((parent_context or {}).get("request"), (p.pk for p in context["products"]))
        return context


HOME_BLOCKS: list[tuple[str, blocks.Block]] = [
    ("hero", HeroBlock()),
    (
        "text",
        blocks.RichTextBlock(
            features=["h2", "h3", "bold", "italic", "link", "ul"], template="shop/blocks/text.html"
        ),
    ),
    ("product_grid", ProductGridBlock()),
    ("recommendations", RecommendationsBlock()),
    ("recently_viewed", RecentlyViewedBlock()),
]
# Any of the blocks above, per segment: e.g. a different hero for loyal customers.
HOME_BLOCKS.append(("segment_variants", SegmentVariantsBlock(content=list(HOME_BLOCKS))))
