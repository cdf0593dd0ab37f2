"""Serving: turn a trained model, real-time state and the owner's rules into lists.

    from personalization_plugin.serving import recommend
    recs = recommend("similar", visitor=request.visitor, product_id="42", limit=8)
    for item in recs.items:
        item.product.title, item.reason

Surfaces (template tags, htmx partials, GraphQL) call only `recommend`.
"""

from __future__ import annotations

from ..exceptions import UnknownProduct
from . import cache
from .placements import recommend
from .types import (
    PLACEMENTS,
    REASON_CODES,
    InvalidRecommendationRequest,
    Recommendation,
    RecommendationList,
    UnknownPlacement,
)


def clear_caches() -> None:
    """Drop every in-process cache serving reads (product facts, rules, experiments, the
    owner's settings overlay, cached lists)."""
    from ..conf import plugin_settings
    from ..experiments import bucketing
    from . import catalog, fallbacks, placements, rules

    bucketing.forget()
    plugin_settings.forget_overrides()

    catalog.clear()
    fallbacks._boards.clear()
    fallbacks._global_lists.clear()
    placements._purchases.clear()
    rules.forget_rules()
    cache.clear()


cache.register_eraser()

__all__ = [
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
