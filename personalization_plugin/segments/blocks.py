"""`SegmentVariantsBlock`: a StreamField block with content per segment and a default.

    ("segment_variants", SegmentVariantsBlock(content=[("hero", HeroBlock()), ...]))

Which variant a shopper sees: of the variants whose segment they are in, the one whose
segment has the highest priority (ties: lowest slug; the same segment twice: the first).
The order of variants in the editor never matters, so two editors cannot get different
pages from the same segments (wagtail-personalisation #204). Nobody matching: default.

With a slot name the block is also reachable by name: lazily (an htmx placeholder that
the slot partial fills per visitor, so the page itself stays cacheable) and headless
(GraphQL `personalizedSlot(name)`), with the same choice as the inline rendering.
"""

from __future__ import annotations

import logging
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from wagtail import blocks

from personalization_plugin.segments.engine import PREVIEW_PARAM, preview_segment

logger = logging.getLogger("personalization_plugin.segments")


def segment_choices() -> list[tuple[str, str]]:
    """Every segment (enabled or not) as (slug, name), for the editor's drop-down."""
    try:
        from personalization_plugin.segments.models import Segment

        return [(s.slug, s.name) for s in Segment.objects.order_by("-priority", "slug")]
    except Exception:  # e.g. before migrations ran
        return []


def chosen_variant(value: Any, request: Any) -> tuple[str | None, Any]:
    """(segment slug or None for the default, the StreamValue to render) for a request."""
    from personalization_plugin.segments.engine import choose

    variants = list(value.get("variants") or [])
    slug = choose(request, [v.get("segment") for v in variants]) if request is not None else None
    if slug is None:
        return None, value.get("default")
    for variant in variants:
        if variant.get("segment") == slug:
            return slug, variant.get("content")
    return None, value.get("default")


def render_variant(
    block: SegmentVariantsBlock, value: Any, request: Any, context: dict[str, Any] | None = None
) -> tuple[str | None, SafeString]:
    """The chosen segment and the rendered HTML of its content (never raises)."""
    try:
        slug, content = chosen_variant(value, request)
        context = dict(context or {})
        context.setdefault("request", request)
        html = block.child_blocks["default"].render(content, context) if content is not None else ""
    except Exception:
        logger.exception("Segment variants not rendered; showing nothing for this block.")
        return None, mark_safe("")
    return slug, mark_safe(html)


class SegmentVariantStruct(blocks.StructBlock):
    segment = blocks.ChoiceBlock(
        choices=segment_choices, help_text=_("Shown to shoppers in this segment")
    )

    class Meta:
        icon = "group"


class SegmentVariantsBlock(blocks.StructBlock):
    """Content per segment plus a default; see the module docstring for how one is chosen."""

    def __init__(
        self, content: list[tuple[str, blocks.Block]] | None = None, **kwargs: Any
    ) -> None:
        content = content or [("text", blocks.RichTextBlock())]
        local = [
            (
                "slot",
                blocks.CharBlock(
                    max_length=60,
                    required=False,
                    help_text=_(
                        "Name for lazy loading and GraphQL personalizedSlot(name), e.g. home_hero"
                    ),
                ),
            ),
            (
                "lazy",
                blocks.BooleanBlock(
                    required=False,
                    help_text=_(
                        "Keep the page cacheable: show the default, then load the shopper's "
                        "variant (needs a slot name)"
                    ),
                ),
            ),
            (
                "variants",
                blocks.ListBlock(
                    SegmentVariantStruct([("content", blocks.StreamBlock(content))]),
                    label=_("Variants"),
                ),
            ),
            (
                "default",
                blocks.StreamBlock(content, required=False, help_text=_("Shown to everyone else")),
            ),
        ]
        super().__init__(local, **kwargs)

    class Meta:
        icon = "group"
        label = _("Content per segment")

    def render(self, value: Any, context: dict[str, Any] | None = None) -> SafeString:
        request = (context or {}).get("request")
        slot = value.get("slot") or ""
        if value.get("lazy") and slot:
            try:
                url = reverse("personalization:segment_slot", args=[slot])
            except NoReverseMatch:
                url = ""
            preview = preview_segment(request) if request is not None else None
            if url and preview:
                # The editor's "show as segment" must reach the partial the placeholder loads.
                url = f"{url}?{urlencode({PREVIEW_PARAM: preview})}"
            if url:
                default = self.child_blocks["default"].render(
                    value.get("default") or [], dict(context or {})
                )
                return format_html(
                    '<div class="sp-segment-slot" hx-get="{}" hx-trigger="load" hx-swap="outerHTML">{}</div>',
                    url,
                    mark_safe(default),
                )
        return render_variant(self, value, request, context)[1]
