"""Turning a widget's parameters into HTML: the lazy placeholder or the filled list.

Surfaces never compute recommendations: `fetch` asks serving and, because a storefront
page must never fail when personalization does, turns any failure into an empty list
and a log line.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.translation import get_language

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


def get_visitor_for(request: HttpRequest | None) -> Any:
    if request is None:
        return None
    visitor = getattr(request, "visitor", None)
    if visitor is not None:
        return visitor
    from personalization_plugin.tracking.identity import get_visitor

    return get_visitor(request)


def recommend(params: WidgetParams, request: HttpRequest | None) -> Any:
    """Ask serving. Raises whatever serving raises (UnknownPlacement, UnknownProduct...)."""
    from personalization_plugin.serving import recommend as serving_recommend

    return serving_recommend(
        params.placement,
        visitor=get_visitor_for(request),
        product_id=params.product_id or None,
        cart=list(params.cart) or None,
        category_id=params.category_id or None,
        limit=params.limit,
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


def list_context(params: WidgetParams, recs: Any) -> dict[str, Any]:
    return {
        "recs": recs,
        "items": list(getattr(recs, "items", []) or []),
        "params": params,
        "title": params.title,
        "heading": params.heading,
        "layout": params.layout,
        "placement": params.placement,
    }


def render_list(params: WidgetParams, recs: Any, request: HttpRequest | None) -> str:
    """The filled widget; an empty string when there is nothing to show."""
    if not getattr(recs, "items", None):
        return ""
    return render_to_string(LIST_TEMPLATE, list_context(params, recs), request=request)


def render_placeholder(params: WidgetParams) -> str:
    """The same markup for every visitor in one language, so the page around it stays
    cacheable (its heading is translated, so each language has its own)."""
    return _render_placeholder(params, get_language() or "")


@lru_cache(maxsize=1024)
def _render_placeholder(params: WidgetParams, language: str) -> str:
    """Memoized per parameters and language (a page asks for the same few widgets on
    every request); the memo is dropped when templates or URLs change (tests, autoreload)."""
    return render_to_string(
        PLACEHOLDER_TEMPLATE,
        {"params": params, "url": params.partial_url(), "heading": params.heading},
    )


def clear_placeholder_cache() -> None:
    """Forget memoized placeholders (their markup depends on templates and URLs)."""
    _render_placeholder.cache_clear()


def render_widget(params: WidgetParams, request: HttpRequest | None, *, eager: bool = False) -> str:
    if not eager:
        return render_placeholder(params)
    try:
        return render_list(params, fetch(params, request), request)
    except Exception:
        logger.exception("Widget for placement %r failed to render.", params.placement)
        return ""
