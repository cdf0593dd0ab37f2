"""What `recommend()` returns, and the errors it raises for bad requests.

These dataclasses are the contract with the surfaces (template tags, htmx partials,
GraphQL): they carry display-ready products, a readable reason per item and the ids
that impression and click events quote back for attribution.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from personalization_plugin.adapters import ProductInfo
from personalization_plugin.core.placements import PLACEMENTS, Placement

__all__ = [
    "FALLBACKS",
    "PLACEMENTS",
    "REASON_CODES",
    "SOURCES",
    "Recommendation",
    "RecommendationList",
    "source_title",
]

# What a caller may ask for when a placement's own sources have nothing (or too little):
# "none" (the list stays short or empty), "stand_in" (the generic lists: trending,
# popular, new arrivals, the catalog; each labelled as what it is) or another placement.
STAND_IN = "stand_in"
NO_FALLBACK = "none"
FALLBACKS: tuple[str, ...] = (NO_FALLBACK, STAND_IN, *PLACEMENTS)

# Lists that are not a placement's own, by the name `RecommendationList.source` gives.
EXTRA_SOURCE_TITLES = {
    "popular": _("Popular right now"),
    "catalog": _("From our range"),
}
SOURCES: tuple[str, ...] = (*PLACEMENTS, *EXTRA_SOURCE_TITLES)


def source_title(source: str) -> str:
    """The shopper-facing heading that says what a list filled by `source` really is."""
    if source in PLACEMENTS:
        return Placement(source).title
    return str(EXTRA_SOURCE_TITLES.get(source, EXTRA_SOURCE_TITLES["popular"]))


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
    "viewed_with",
    "bought_next",
    "buy_again",
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
    # Which list actually filled it: the placement itself, another placement asked for as
    # the fallback, or a stand-in ("trending", "popular", "new_arrivals", "catalog");
    # "" when empty. Surfaces title the widget after it, so the heading is never a claim
    # the list does not keep (no "Picked for you" over a trending list).
    source: str = ""
    explanation: str = ""  # how the list was made, naming only the shopper's own actions

    @property
    def borrowed(self) -> bool:
        """Whether something other than the placement's own sources filled the list."""
        return bool(self.source) and self.source != self.placement

    @property
    def title(self) -> str:
        """The default heading for what this list really is."""
        return source_title(self.source or self.placement)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.items)

    @property
    def product_ids(self) -> list[str]:
        return [item.product.id for item in self.items]
