"""Template tags for theme developers: `{% load storefront_widgets %}`.

One tag per placement, each lazy by default (a cacheable placeholder that htmx fills
from the partial view), `eager=True` to render inline, and `as var` to hand serving's
RecommendationList to custom markup:

    {% recommendations "for_you" limit=8 title="Picked for you" %}
    {% recommendations "similar" product_id=product.pk limit=4 as recs %}
    {% bought_together product.pk %}   {% cart_suggestions cart_ids %}
    {% recently_viewed %}              {% trending category_id=category.slug %}
    {% storefront_assets %}  {% storefront_tracking %}  {% storefront_consent_banner %}
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django import template
from django.conf import settings
from django.template.base import FilterExpression, Parser, Token
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from personalization_plugin.core.exceptions import InvalidWidgetParameter, UnknownWidgetPlacement
from storefront_widgets.params import WidgetParams, placements
from storefront_widgets.prices import format_price
from storefront_widgets.privacy import banner_context, tracking_context
from storefront_widgets.rendering import EmptyRecommendations, fetch, render_widget

logger = logging.getLogger("storefront_widgets")
register = template.Library()

KWARG_RE = re.compile(r"^(\w+)=")
WIDGET_OPTIONS = {"limit", "title", "product_id", "category_id", "cart", "layout", "eager"}


class WidgetNode(template.Node):
    """Resolves a widget tag's arguments and renders (or stores) the widget."""

    def __init__(
        self,
        placement: FilterExpression | str,
        options: dict[str, FilterExpression],
        asvar: str | None,
    ) -> None:
        self.placement = placement
        self.options = options
        self.asvar = asvar

    def render(self, context: template.Context) -> str:
        placement = (
            self.placement.resolve(context)
            if isinstance(self.placement, FilterExpression)
            else self.placement
        )
        values = {name: expr.resolve(context) for name, expr in self.options.items()}
        eager = bool(values.pop("eager", False))
        request = context.get("request")
        try:
            params = WidgetParams.build(placement, **values)
        except (InvalidWidgetParameter, UnknownWidgetPlacement) as exc:
            if settings.DEBUG:
                raise template.TemplateSyntaxError(str(exc)) from exc
            logger.error("Recommendation widget not rendered: %s", exc)
            if self.asvar:
                context[self.asvar] = EmptyRecommendations(placement=str(placement))
            return ""
        if self.asvar:
            context[self.asvar] = fetch(params, request)
            return ""
        return mark_safe(render_widget(params, request, eager=eager))


def _parse_widget(
    parser: Parser,
    token: Token,
    *,
    placement: str | None,
    positional: str | None,
) -> WidgetNode:
    """Parse `{% tag [positional] key=value ... [as var] %}`.

    `placement` fixes the placement (placement-specific tags); when None the first
    positional argument is the placement. `positional` names the option the tag's one
    positional argument fills (e.g. `product_id` for `bought_together`).
    """
    bits = token.split_contents()
    tag_name, bits = bits[0], bits[1:]
    asvar = None
    if len(bits) >= 2 and bits[-2] == "as":
        asvar = bits[-1]
        bits = bits[:-2]
    keyword_bits = [b for b in bits if KWARG_RE.match(b)]
    positional_bits = [b for b in bits if not KWARG_RE.match(b)]
    expected = (1 if placement is None else 0) + (1 if positional else 0)
    if len(positional_bits) > expected or (placement is None and not positional_bits):
        usage = {
            "recommendations": '{% recommendations "for_you" limit=8 title="..." [as recs] %}',
        }.get(tag_name, f"{{% {tag_name} {positional or ''} key=value ... [as var] %}}")
        raise template.TemplateSyntaxError(f"Wrong arguments for {tag_name}. Usage: {usage}")
    options: dict[str, FilterExpression] = {}
    placement_arg: FilterExpression | str
    if placement is None:
        placement_arg = parser.compile_filter(positional_bits.pop(0))
        literal = placement_arg.var if not placement_arg.filters else None
        if isinstance(literal, str) and literal not in placements():
            raise template.TemplateSyntaxError(
                f"{tag_name}: unknown placement {literal!r}; use one of: {', '.join(placements())}."
            )
    else:
        placement_arg = placement
    if positional and positional_bits:
        options[positional] = parser.compile_filter(positional_bits.pop(0))
    for bit in keyword_bits:
        name, _, value = bit.partition("=")
        if name not in WIDGET_OPTIONS:
            raise template.TemplateSyntaxError(
                f"{tag_name} got an unknown option {name!r}; "
                f"known options: {', '.join(sorted(WIDGET_OPTIONS))}."
            )
        if name in options:
            raise template.TemplateSyntaxError(f"{tag_name} got {name!r} twice.")
        options[name] = parser.compile_filter(value)
    return WidgetNode(placement_arg, options, asvar)


@register.tag
def recommendations(parser: Parser, token: Token) -> WidgetNode:
    """`{% recommendations "<placement>" [product_id=] [category_id=] [cart=] [limit=8]
    [title=""] [layout="grid"|"row"] [eager=True] [as var] %}`"""
    return _parse_widget(parser, token, placement=None, positional=None)


@register.tag
def bought_together(parser: Parser, token: Token) -> WidgetNode:
    """`{% bought_together product_id [limit=..] [title=..] [as var] %}`"""
    return _parse_widget(parser, token, placement="bought_together", positional="product_id")


@register.tag
def cart_suggestions(parser: Parser, token: Token) -> WidgetNode:
    """`{% cart_suggestions cart_ids [limit=..] [title=..] [as var] %}`: ids of the cart's products."""
    return _parse_widget(parser, token, placement="cart", positional="cart")


@register.tag
def recently_viewed(parser: Parser, token: Token) -> WidgetNode:
    """`{% recently_viewed [limit=..] [title=..] [as var] %}`"""
    return _parse_widget(parser, token, placement="recently_viewed", positional=None)


@register.tag
def trending(parser: Parser, token: Token) -> WidgetNode:
    """`{% trending [category_id=..] [limit=..] [title=..] [as var] %}`"""
    return _parse_widget(parser, token, placement="trending", positional=None)


@register.simple_tag
def storefront_assets() -> SafeString:
    """The widgets' stylesheet and the vendored htmx (served from static files, never a CDN)."""
    return format_html(
        '<link rel="stylesheet" href="{}">\n<script src="{}" defer></script>',
        static("storefront_widgets/widgets.css"),
        static("storefront_widgets/htmx.min.js"),
    )


@register.inclusion_tag("storefront_widgets/tracking.html", takes_context=True)
def storefront_tracking(context: template.Context) -> dict[str, Any]:
    """The tracking script tag, configured by data attributes (intake URL, token, consent)."""
    return tracking_context(context.get("request"))


@register.inclusion_tag("storefront_widgets/consent_banner.html", takes_context=True)
def storefront_consent_banner(context: template.Context) -> dict[str, Any]:
    """Accept/decline banner, shown only when consent is required and not yet given."""
    return banner_context(context.get("request"))


@register.filter
def widget_placements(stream: Any) -> set[str]:
    """Placements of the recommendation blocks in a StreamField value, so a template's
    default widgets can step aside when an editor placed the same list:
    `{% if "for_you" not in page.body|widget_placements %}...`."""
    from storefront_widgets.blocks import RecentlyViewedBlock, RecommendationsBlock

    found: set[str] = set()
    for child in stream or ():
        block = getattr(child, "block", None)
        if isinstance(block, RecentlyViewedBlock):
            found.add("recently_viewed")
        elif isinstance(block, RecommendationsBlock):
            found.add(str(child.value.get("placement") or "for_you"))
    return found


@register.filter
def sp_price(product: Any) -> str:
    """A product's price in the active language ("$12.50", "12,50 €"): see `prices`."""
    price = getattr(product, "price", None)
    if price is None:
        return ""
    return format_price(price, getattr(product, "currency", "") or "")


# {% if_segment "loyal" %}...{% else %}...{% endif_segment %} (personalization_plugin.segments)
from personalization_plugin.segments.tags import if_segment  # noqa: E402

register.tag("if_segment", if_segment)
