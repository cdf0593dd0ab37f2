"""Serving: turn a trained model, real-time state and the owner's rules into lists.

    from personalization_plugin.serving import recommend
    recs = recommend("similar", visitor=request.visitor, product_id="42", limit=8)
    for item in recs.items:
        item.product.title, item.reason

Surfaces (template tags, htmx partials, GraphQL) call only `recommend`, and `rerank`
to put a store's own list (category page, search hits) in the shopper's order.
"""

from __future__ import annotations

from personalization_plugin.core.exceptions import (
    InvalidRecommendationRequest,
    UnknownPlacement,
    UnknownProduct,
)
from personalization_plugin.serving import cache, fragments
from personalization_plugin.serving.placements import recommend
from personalization_plugin.serving.rerank import Moved, Reranked, rerank
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
    from personalization_plugin.serving.rerank import clear as clear_reranking

    bucketing.forget()
    plugin_settings.forget_overrides()

    catalog.clear()
    fallbacks.clear()
    history.clear()
    placements.clear()
    clear_reranking()
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
    "rerank",
    "Moved",
    "Reranked",
]
