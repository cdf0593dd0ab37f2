"""Serving: turn a trained model, real-time state and the owner's rules into lists.

    from personalization_plugin.serving import recommend
    recs = recommend("similar", visitor=request.visitor, product_id="42", limit=8)
    for item in recs.items:
        item.product.title, item.reason

Surfaces (template tags, htmx partials, GraphQL) call only `recommend`.
"""

from __future__ import annotations

from personalization_plugin.core.exceptions import (
    InvalidRecommendationRequest,
    UnknownPlacement,
    UnknownProduct,
)
from personalization_plugin.serving import cache, fragments
from personalization_plugin.serving.placements import recommend
from personalization_plugin.serving.types import (
    FALLBACKS,
    NO_FALLBACK,
    PLACEMENTS,
    REASON_CODES,
    STAND_IN,
    Recommendation,
    RecommendationList,
    source_title,
)


def clear_caches() -> None:
    """Drop every in-process cache serving reads (product facts, rules, experiments, the
    owner's settings overlay, cached lists)."""
    from personalization_plugin.core.conf import plugin_settings
    from personalization_plugin.experiments import bucketing
    from personalization_plugin.serving import catalog, fallbacks, history, placements, rules

    bucketing.forget()
    plugin_settings.forget_overrides()

    catalog.clear()
    fallbacks.clear()
    history.clear()
    placements.clear()
    rules.forget_rules()
    cache.clear()
    fragments.invalidate()


__all__ = [
    "FALLBACKS",
    "NO_FALLBACK",
    "STAND_IN",
    "source_title",
    "PLACEMENTS",
    "REASON_CODES",
    "InvalidRecommendationRequest",
    "Recommendation",
    "RecommendationList",
    "UnknownPlacement",
    "UnknownProduct",
    "clear_caches",
    "recommend",
]
