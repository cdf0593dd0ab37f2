"""What `recommend()` returns, and the errors it raises for bad requests.

These dataclasses are the contract with the surfaces (template tags, htmx partials,
GraphQL): they carry display-ready products, a readable reason per item and the ids
that impression and click events quote back for attribution.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from personalization_plugin.adapters import ProductInfo
from personalization_plugin.core.placements import PLACEMENTS

__all__ = ["PLACEMENTS", "REASON_CODES", "Recommendation", "RecommendationList"]

# Every reason_code an item can carry; surfaces may style or translate by code.
REASON_CODES: tuple[str, ...] = (
    "viewed",
    "bought_with",
    "trending",
    "popular",
    "similar",
    "new",
    "pinned",
    "recently_viewed",
    "category_top",
    "discovery",
)


@dataclass(frozen=True)
class Recommendation:
    """One recommended product, with the reason a shopper can read."""

    product: ProductInfo
    score: float
    reason: str
    reason_code: str
    position: int  # 1-based


@dataclass(frozen=True)
class RecommendationList:
    """One placement's list. `recommendation_id` is quoted back by impression/click events."""

    placement: str
    model_version: str  # "" when only fallbacks (no trained model) produced the list
    recommendation_id: str  # uuid4 hex
    items: list[Recommendation] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.items)

    @property
    def product_ids(self) -> list[str]:
        return [item.product.id for item in self.items]
