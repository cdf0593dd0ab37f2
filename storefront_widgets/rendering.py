"""Turning a widget's parameters into HTML: the lazy placeholder or the filled list.

Surfaces never compute recommendations: `fetch` asks serving and, because a storefront
page must never fail when personalization does, turns any failure into an empty list
and a log line.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import get_language

from storefront_widgets import page_snapshot
from storefront_widgets.page import Placed, above_exclusions, page_for
from storefront_widgets.params import WidgetParams

logger = logging.getLogger("storefront_widgets")

LIST_TEMPLATE = "storefront_widgets/recommendations.html"
PLACEHOLDER_TEMPLATE = "storefront_widgets/placeholder.html"


@dataclass
class EmptyRecommendations:
    """Stands in for serving's RecommendationList when nothing could be fetched."""

    placement: str
    model_version: str = ""
    recommendation_id: str = ""
    items: list[Any] = field(default_factory=list)
    source: str = ""
    explanation: str = ""
    borrowed: bool = False


def get_visitor_for(request: HttpRequest | None) -> Any:
    if request is None:
        return None
    visitor = getattr(request, "visitor", None)
    if visitor is not None:
        return visitor
    from personalization_plugin.tracking.identity import get_visitor

    return get_visitor(request)


def recommend(params: WidgetParams, request: HttpRequest | None, *, page: str = "") -> Any:
    """Ask serving for this widget's list, stepping around the widgets `above` it on
    the same page. With the page view's id (`page_snapshot.page_id`) every list is the
    one agreed for that page view, so parallel partials exclude exactly what the page
    shows. Raises whatever serving raises (UnknownPlacement, UnknownProduct...)."""
    params = settle_above(params, request, page=page)
    if not page:
        return _ask(params, request)
    return page_snapshot.agreed(page, params, lambda: _ask(params, request))


def settle_above(params: WidgetParams, request: HttpRequest | None, *, page: str = "") -> Any:
    """The widget with the lists of the widgets above it folded into its exclusions
    (and `above` emptied): what its own list depends on, so a lower partial can be
    cached under it. With a page view id the lists above are the page's agreed ones.
    Never raises: a list above that cannot be fetched excludes nothing (logged)."""
    if not params.above:
        return params

    def upper(p: WidgetParams) -> Any:
        try:
            if page:
                return page_snapshot.agreed(page, p, lambda: remembered(p, request))
            return remembered(p, request)
        except Exception:
            logger.exception("Widget %r above this one could not be fetched.", p.placement)
            return EmptyRecommendations(placement=p.placement)

    return replace(params, exclude=above_exclusions(params, upper), above=())


def remembered(params: WidgetParams, request: HttpRequest | None) -> Any:
    """A widget's list as its partial would serve it, kept in the fragment cache (per
    shopper state, as fragments are) so the partials below it on the same page do not
    each compute it again. Not cached for an editor's segment preview."""
    from personalization_plugin.serving import fragments

    if preview_of(request) is not None:
        return _ask(params, request)
    try:
        visitor = get_visitor_for(request)
        subject = visitor.subject if visitor is not None and visitor.can_personalize else None
        digest = fragments.request_digest(
            "list:" + params.placement, [("params", [repr(params)])], get_language() or ""
        )
        found, slot = fragments.lookup(subject, digest)
        if found is not None:
            return page_snapshot.decode(found, params)
    except Exception:
        logger.exception("Cached list for %r could not be read; computing it.", params.placement)
        found, slot = None, None
    recs = _ask(params, request)
    encoded = page_snapshot.encode(recs)
    if encoded:
        fragments.store(slot, encoded, str(getattr(recs, "recommendation_id", "") or ""))
    return recs


def preview_of(request: HttpRequest | None) -> str | None:
    """The segment an editor previews the page as (`?sp_preview_segment=<slug>`, honoured
    only for users who may edit), so merchandising rules limited to that segment show on
    the storefront as its members would see them; None for everyone else."""
    if request is None:
        return None
    from personalization_plugin.segments.engine import preview_segment

    try:
        return preview_segment(request)
    except Exception:  # a broken auth backend must not break a storefront widget
        logger.exception("Segment preview could not be checked; rendering without it.")
        return None


def _ask(params: WidgetParams, request: HttpRequest | None) -> Any:
    from personalization_plugin.serving import recommend as serving_recommend

    preview = preview_of(request)
    return serving_recommend(
        params.placement,
        visitor=get_visitor_for(request),
        product_id=params.product_id or None,
        cart=params.cart_quantities or None,
        category_id=params.category_id or None,
        limit=params.limit,
        exclude=params.exclude or None,
        fallback=params.fallback,
        segments=[preview] if preview else None,
    )


def fetch(params: WidgetParams, request: HttpRequest | None) -> Any:
    """Serving's RecommendationList, or an empty one (logged) if anything went wrong."""
    try:
        return recommend(params, request)
    except Exception:
        logger.exception(
            "Recommendations for placement %r could not be fetched; rendering an empty widget.",
            params.placement,
        )
        return EmptyRecommendations(placement=params.placement)


PRIVACY_URL_NAMES = ("personalization:privacy_center", "personalization:privacy")
PRIVACY_FALLBACK_URL = "/personalization/privacy/"


def privacy_url() -> str:
    """Where "Why these products?" links: settings.PERSONALIZATION_PRIVACY_URL, else the
    plugin's privacy center if its URL is installed, else its conventional path."""
    configured = getattr(settings, "PERSONALIZATION_PRIVACY_URL", "")
    if configured:
        return str(configured)
    for name in PRIVACY_URL_NAMES:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return PRIVACY_FALLBACK_URL


def heading_for(params: WidgetParams, recs: Any) -> tuple[str, bool]:
    """The widget's heading and whether to show it: the owner's title while the list is
    the placement's own, otherwise the title of what actually filled it (a trending list
    is never headed "Picked for you")."""
    if getattr(recs, "borrowed", False):
        return str(recs.title), True
    return params.heading, bool(params.title)


def list_context(params: WidgetParams, recs: Any) -> dict[str, Any]:
    heading, visible = heading_for(params, recs)
    return {
        "recs": recs,
        "items": list(getattr(recs, "items", []) or []),
        "params": params,
        "title": heading if visible else "",
        "heading": heading,
        "layout": params.layout,
        "placement": params.placement,
        "source": getattr(recs, "source", "") or params.placement,
        "explanation": getattr(recs, "explanation", ""),
        "privacy_url": privacy_url(),
    }


def render_list(params: WidgetParams, recs: Any, request: HttpRequest | None) -> str:
    """The filled widget; an empty string when there is nothing to show."""
    if not getattr(recs, "items", None):
        return ""
    return render_to_string(LIST_TEMPLATE, list_context(params, recs), request=request)


def render_placeholder(params: WidgetParams, preview: str | None = None) -> str:
    """The same markup for every visitor in one language, so the page around it stays
    cacheable (its heading is translated, so each language has its own). An editor's
    segment preview is passed on to the partial, as segment blocks pass it on."""
    return _render_placeholder(params, get_language() or "", preview or "")


@lru_cache(maxsize=1024)
def _render_placeholder(params: WidgetParams, language: str, preview: str) -> str:
    """Memoized per parameters, language and preview (a page asks for the same few
    widgets on every request); the memo is dropped when templates or URLs change."""
    url = params.partial_url()
    if preview:
        from personalization_plugin.segments.engine import PREVIEW_PARAM

        url = f"{url}&{urlencode({PREVIEW_PARAM: preview})}"
    return render_to_string(
        PLACEHOLDER_TEMPLATE,
        {"params": params, "url": url, "heading": params.heading},
    )


def clear_placeholder_cache() -> None:
    """Forget memoized placeholders (their markup depends on templates and URLs)."""
    _render_placeholder.cache_clear()


def place(
    params: WidgetParams, request: HttpRequest | None, *, eager: bool
) -> tuple[WidgetParams, Any]:
    """The widget placed on its page (`page.PageLists`): its parameters with what the
    page already shows excluded, and with eager=True its list."""
    placed = placed_on_page(params, request, eager=eager)
    return placed.params, placed.recs


def placed_on_page(params: WidgetParams, request: HttpRequest | None, *, eager: bool) -> Placed:
    page = page_for(request)
    if page is None:
        return Placed(params, fetch(params, request) if eager else None)
    return page.place(params, eager=eager, fetch=lambda p: fetch(p, request))


def render_widget(params: WidgetParams, request: HttpRequest | None, *, eager: bool = False) -> str:
    try:
        placed = placed_on_page(params, request, eager=eager)
        if placed.marker:
            return placed.marker
        params, recs = placed.params, placed.recs
        if not eager:
            return render_placeholder(params, preview_of(request))
        return render_list(params, recs, request)
    except Exception:
        logger.exception("Widget for placement %r failed to render.", params.placement)
        return ""
