"""Template tags for theme developers: `{% load storefront_widgets %}`.

One tag per placement, each lazy by default (a cacheable placeholder that htmx fills
from the partial view), `eager=True` to render inline, and `as var` to hand serving's
RecommendationList to custom markup:

    {% recommendations "for_you" limit=8 title="Picked for you" %}
    {% recommendations "similar" product_id=product.pk limit=4 as recs %}
    {% bought_together product.pk %}   {% cart_suggestions cart_ids %}
    {% recently_viewed %}              {% trending category_id=category.slug %}
    {% storefront_page exclude=shown_ids %} ...widgets... {% end_storefront_page %}

Widgets on one page never repeat each other's products (`storefront_widgets.page`);
`exclude=` names products the page shows itself, `fallback=` what fills a list whose
own sources have nothing ("none", "stand_in" or a placement).
    {% storefront_assets %}  {% storefront_tracking %}  {% storefront_consent_banner %}
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import template
from django.conf import settings
from django.http import HttpRequest
from django.template.base import FilterExpression, Parser, Token
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from personalization_plugin.core.exceptions import InvalidWidgetParameter, UnknownWidgetPlacement
from personalization_plugin.core.placements import Placement
from storefront_widgets.page import page_for
from storefront_widgets.params import WidgetParams, placements
from storefront_widgets.prices import format_price
from storefront_widgets.privacy import banner_context, tracking_context
from storefront_widgets.rendering import (
    EmptyRecommendations,
    fetch,
    place,
    preview_of,
    render_placeholder,
    render_widget,
)

logger = logging.getLogger("storefront_widgets")
register = template.Library()

USAGE = {
    "recommendations": '{% recommendations "for_you" limit=8 title="..." [as recs] %}',
    "bought_together": "{% bought_together product.pk [limit=4] [title=...] [as recs] %}",
    "cart_suggestions": "{% cart_suggestions cart_product_ids [limit=4] [as recs] %}",
    "recently_viewed": "{% recently_viewed [limit=6] [title=...] [as recs] %}",
    "trending": "{% trending [category_id=category.slug] [limit=8] [as recs] %}",
}
# Every widget tag takes these (one of them may be its positional argument).
OPTION_NAMES = (
    "product_id",
    "category_id",
    "cart",
    "limit",
    "title",
    "layout",
    "eager",
    "exclude",
    "fallback",
)
OPTIONS = ", ".join(OPTION_NAMES)


@dataclass(frozen=True)
class Widget:
    """A widget tag's validated request: printed as HTML, or stored (`as var`) as
    serving's RecommendationList. `params` is None when the arguments were bad."""

    params: WidgetParams | None
    request: HttpRequest | None
    placement: str
    eager: bool = False

    def html(self) -> SafeString:
        """The placeholder, or with eager=True the filled list ("" when bad or empty)."""
        if self.params is None:
            return SafeString("")
        # render_widget's output comes from the widget templates, escaped by them.
        return mark_safe(render_widget(self.params, self.request, eager=self.eager))

    def recs(self) -> Any:
        """Serving's list for custom markup (empty when bad or when serving failed); it
        takes its place on the page like any eager widget."""
        if self.params is None:
            return EmptyRecommendations(placement=self.placement)
        _, recs = place(self.params, self.request, eager=True)
        return recs if recs is not None else EmptyRecommendations(placement=self.placement)


def _widget(context: template.Context, placement: Any, **options: Any) -> Widget:
    """Validate a tag's arguments into a Widget; never raises outside DEBUG.

    A bad value that turns up at run time (say `limit=` from a variable) renders
    nothing and is logged, because a storefront page must not fail over a widget;
    with DEBUG it raises TemplateSyntaxError so the theme developer sees it at once."""
    eager = bool(options.pop("eager", False))
    request = context.get("request")
    try:
        params = WidgetParams.build(placement, **options)
    except (InvalidWidgetParameter, UnknownWidgetPlacement) as exc:
        if settings.DEBUG:
            raise template.TemplateSyntaxError(str(exc)) from exc
        logger.error("Recommendation widget not rendered: %s", exc)
        return Widget(None, request, placement=str(placement or ""), eager=eager)
    return Widget(params, request, placement=params.placement, eager=eager)


_POSITIONAL = inspect.Parameter.POSITIONAL_OR_KEYWORD
_KEYWORD = inspect.Parameter.KEYWORD_ONLY


def widget_tag(name: str, placement: Placement | None = None, positional: str = "") -> None:
    """Register one widget tag: `{% <name> [<positional>] [option=...] [as var] %}`.

    The tag's signature is built here (so Django's own argument errors stay as they
    are: unknown option, too many positional arguments, a value given twice); with
    `placement=None` the tag's first argument is the placement, otherwise the tag is
    that placement and `positional` names the one option it takes without a keyword.

    Django parses and resolves the arguments and stores `as var`; on top, mistakes
    show up when the template is compiled (Django's argument errors get the tag's
    usage appended, and a literal placement must be a known one), and the node turns
    the Widget into what its form wants: HTML when printed, the RecommendationList
    when stored (`simple_tag` does not tell the function which form it is in, the
    compiled node does)."""
    params = [inspect.Parameter("context", _POSITIONAL)]
    if placement is None:
        params.append(inspect.Parameter("placement", _POSITIONAL))
    elif positional:
        params.append(inspect.Parameter(positional, _POSITIONAL, default=None))
    params += [
        inspect.Parameter(option, _KEYWORD, default=False if option == "eager" else None)
        for option in OPTION_NAMES
        if option != positional
    ]

    def tag(context: template.Context, *args: Any, **options: Any) -> Widget:
        bound = tag.__signature__.bind(context, *args, **options)  # type: ignore[attr-defined]
        values = dict(bound.arguments)
        values.pop("context")
        which = values.pop("placement", placement)
        return _widget(context, which, **values)

    tag.__name__ = name
    tag.__qualname__ = name
    tag.__doc__ = f"`{USAGE[name]}`"
    tag.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    register.simple_tag(tag, takes_context=True, name=name)
    compile_simple_tag = register.tags[name]

    def compile_checked(parser: Parser, token: Token) -> template.Node:
        try:
            node = compile_simple_tag(parser, token)
        except template.TemplateSyntaxError as exc:
            raise template.TemplateSyntaxError(
                f"{exc}. Usage: {USAGE[name]}; options: {OPTIONS}."
            ) from exc
        if placement is None:
            _check_literal_placement(name, node)
        node.func = _stored(tag) if node.target_var else _printed(tag)
        return node

    register.tag(name, compile_checked)


def _printed(func: Callable[..., Widget]) -> Callable[..., SafeString]:
    return lambda *args, **kwargs: func(*args, **kwargs).html()


def _stored(func: Callable[..., Widget]) -> Callable[..., Any]:
    return lambda *args, **kwargs: func(*args, **kwargs).recs()


def _check_literal_placement(tag_name: str, node: Any) -> None:
    expression = node.kwargs.get("placement") or (node.args[0] if node.args else None)
    if not isinstance(expression, FilterExpression) or expression.filters:
        return
    literal = expression.var
    if isinstance(literal, str) and literal not in placements():
        raise template.TemplateSyntaxError(
            f"{tag_name}: unknown placement {literal!r}; use one of: {', '.join(placements())}."
        )


widget_tag("recommendations")
widget_tag("bought_together", Placement.BOUGHT_TOGETHER, positional="product_id")
widget_tag("cart_suggestions", Placement.CART, positional="cart")
widget_tag("recently_viewed", Placement.RECENTLY_VIEWED)
widget_tag("trending", Placement.TRENDING)


class StorefrontPageNode(template.Node):
    """`{% storefront_page [exclude=ids] %}...{% end_storefront_page %}`: the widgets
    inside are placed by priority, not template order (see `storefront_widgets.page`).
    Lazy widgets are placed once the block has rendered (markers, then placeholders);
    a block with eager widgets is rendered a second time with each in its place."""

    def __init__(self, nodelist: template.NodeList, exclude: FilterExpression | None) -> None:
        self.nodelist = nodelist
        self.exclude = exclude

    def render(self, context: template.Context) -> str:
        request = context.get("request")
        page = page_for(request)
        if page is None:
            return self.nodelist.render(context)
        if self.exclude is not None:
            shown = self.exclude.resolve(context)
            if shown:
                page.show([shown] if isinstance(shown, str | int) else shown)
        page.record()
        with context.push():
            first = self.nodelist.render(context)  # lazy widgets leave markers
        if not page.had_eager:
            preview = preview_of(request)  # an editor's segment preview reaches the partials
            return page.fill_markers(first, lambda params: render_placeholder(params, preview))
        page.replan(lambda p: fetch(p, request))  # eager lists are inline: render again
        return self.nodelist.render(context)


@register.tag("storefront_page")
def storefront_page(parser: Parser, token: Token) -> StorefrontPageNode:
    bits = token.split_contents()
    exclude = None
    for bit in bits[1:]:
        key, sep, value = bit.partition("=")
        if key != "exclude" or not sep:
            raise template.TemplateSyntaxError(
                f"storefront_page takes only exclude=<product ids the page shows>, got {bit!r}."
            )
        exclude = parser.compile_filter(value)
    nodelist = parser.parse(("end_storefront_page",))
    parser.delete_first_token()
    return StorefrontPageNode(nodelist, exclude)


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
            found.add(Placement.RECENTLY_VIEWED.value)
        elif isinstance(block, RecommendationsBlock):
            found.add(str(child.value.get("placement") or Placement.FOR_YOU))
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

# {% storefront_privacy_center %} (storefront_widgets.templatetags.storefront_privacy)
from storefront_widgets.templatetags.storefront_privacy import register as _privacy  # noqa: E402

register.tags.update(_privacy.tags)
