"""Wagtail StreamField blocks that place recommendation widgets on editor-built pages.

They render the same lazy placeholder as the template tags, so a Wagtail page with
recommendations stays cacheable; htmx fills each widget per visitor.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError

from personalization_plugin.core.exceptions import InvalidWidgetParameter, UnknownWidgetPlacement
from personalization_plugin.core.placements import Placement
from storefront_widgets.params import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    NO_FALLBACK,
    STAND_IN,
    WidgetParams,
)
from storefront_widgets.rendering import render_widget

logger = logging.getLogger("storefront_widgets")

# Placements that make sense without a product or cart in the page's context.
PAGE_PLACEMENTS = (
    Placement.FOR_YOU,
    Placement.TRENDING,
    Placement.CATEGORY_TOP,
    Placement.RECENTLY_VIEWED,
)


def page_placement_choices() -> list[tuple[str, str]]:
    """The block's choices, labelled with `Placement.label` in the editor's language."""
    return [(p.value, p.label) for p in PAGE_PLACEMENTS]


LAYOUT_CHOICES = [("grid", _("Grid")), ("row", _("Scrolling row"))]

# What the owner lets fill a list whose own sources have nothing meaningful: nothing
# (the widget is not shown), the generic lists, or one named list. Whatever fills it,
# the widget is titled for what it really is.
FALLBACK_CHOICES = [
    ("", _("The list's default")),
    (NO_FALLBACK, _("Nothing: hide the widget")),
    (STAND_IN, _("Trending, then popular, then new arrivals")),
    (Placement.TRENDING.value, _("Trending now")),
    (Placement.NEW_ARRIVALS.value, _("New arrivals")),
]


def _render(value: dict[str, Any], placement: str, context: dict[str, Any] | None) -> SafeString:
    try:
        params = WidgetParams.build(
            placement,
            limit=value.get("count") or DEFAULT_LIMIT,
            title=value.get("title") or "",
            category_id=value.get("category_id") or None,
            layout=value.get("layout") or "grid",
            fallback=value.get("fallback") or None,
        )
    except (InvalidWidgetParameter, UnknownWidgetPlacement) as exc:
        logger.error("Recommendation block not rendered: %s", exc)
        return mark_safe("")
    request = (context or {}).get("request")
    return mark_safe(render_widget(params, request, eager=False))


class RecommendationsBlock(blocks.StructBlock):
    """A recommendation widget: which list, its heading, how many products, how laid out."""

    placement = blocks.ChoiceBlock(choices=page_placement_choices, default=Placement.FOR_YOU.value)
    title = blocks.CharBlock(
        max_length=120, required=False, help_text=_("Heading above the products")
    )
    count = blocks.IntegerBlock(default=DEFAULT_LIMIT, min_value=1, max_value=MAX_LIMIT)
    layout = blocks.ChoiceBlock(choices=LAYOUT_CHOICES, default="grid")
    category_id = blocks.CharBlock(
        max_length=128, required=False, help_text=_('Category id, for "Top in category" only')
    )
    fallback = blocks.ChoiceBlock(
        choices=FALLBACK_CHOICES,
        default="",
        required=False,
        help_text=_("What to show when this list has nothing meaningful for a shopper"),
    )

    class Meta:
        icon = "pick"
        label = _("Recommendations")

    def clean(self, value: Any) -> Any:
        """Reject settings that could never show what they say, naming the field to fix."""
        cleaned = super().clean(value)
        errors: dict[str, ValidationError] = {}
        placement = cleaned.get("placement") or Placement.FOR_YOU.value
        if cleaned.get("fallback") and cleaned.get("fallback") == placement:
            errors["fallback"] = ValidationError(
                _("A list cannot fall back to itself; choose another list or nothing.")
            )
        if placement == Placement.CATEGORY_TOP.value and not cleaned.get("category_id"):
            errors["category_id"] = ValidationError(_('"Top in category" needs the category id.'))
        if errors:
            raise StructBlockValidationError(block_errors=errors)
        return cleaned

    def render(self, value: dict[str, Any], context: dict[str, Any] | None = None) -> SafeString:
        return _render(value, value.get("placement") or Placement.FOR_YOU, context)


class RecentlyViewedBlock(blocks.StructBlock):
    """The shopper's recently viewed products (nothing is shown to a first-time visitor)."""

    title = blocks.CharBlock(max_length=120, required=False, default="Recently viewed")
    count = blocks.IntegerBlock(default=DEFAULT_LIMIT, min_value=1, max_value=MAX_LIMIT)
    layout = blocks.ChoiceBlock(choices=LAYOUT_CHOICES, default="row")

    class Meta:
        icon = "history"
        label = _("Recently viewed")

    def render(self, value: dict[str, Any], context: dict[str, Any] | None = None) -> SafeString:
        return _render(value, Placement.RECENTLY_VIEWED, context)


# Content per segment (one variant per segment plus a default), from the segment engine.
from personalization_plugin.segments.blocks import SegmentVariantsBlock  # noqa: E402,F401
