"""The placements: where on a store a recommendation list is shown.

The one list of them. Serving dispatches on it, template tags and Wagtail blocks offer
it, GraphQL exposes it (`graphene.Enum.from_enum`), experiments and merchandising rules
choose from it.
"""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Placement(StrEnum):
    FOR_YOU = "for_you"
    SIMILAR = "similar"
    BOUGHT_TOGETHER = "bought_together"
    CART = "cart"
    TRENDING = "trending"
    RECENTLY_VIEWED = "recently_viewed"
    CATEGORY_TOP = "category_top"

    @property
    def label(self) -> str:
        """The owner-facing name (admin choices, block choices)."""
        return str(LABELS[self])

    @property
    def title(self) -> str:  # type: ignore[override]
        """The default shopper-facing heading of a widget."""
        return str(TITLES[self])

    @property
    def description(self) -> str:
        """What the list is, for API documentation."""
        return str(DESCRIPTIONS[self])

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(p.value, p.label) for p in cls]


LABELS = {
    Placement.FOR_YOU: _("For you"),
    Placement.SIMILAR: _("Similar products"),
    Placement.BOUGHT_TOGETHER: _("Bought together"),
    Placement.CART: _("Cart"),
    Placement.TRENDING: _("Trending"),
    Placement.RECENTLY_VIEWED: _("Recently viewed"),
    Placement.CATEGORY_TOP: _("Top in category"),
}

TITLES = {
    Placement.FOR_YOU: _("Picked for you"),
    Placement.SIMILAR: _("You may also like"),
    Placement.BOUGHT_TOGETHER: _("Frequently bought together"),
    Placement.CART: _("Complete your order"),
    Placement.TRENDING: _("Trending now"),
    Placement.RECENTLY_VIEWED: _("Recently viewed"),
    Placement.CATEGORY_TOP: _("Top picks in this category"),
}

DESCRIPTIONS = {
    Placement.FOR_YOU: _("Personal picks for the shopper (home page)."),
    Placement.SIMILAR: _("Products like the one on screen (product page; needs productId)."),
    Placement.BOUGHT_TOGETHER: _("Products bought with the one on screen (needs productId)."),
    Placement.CART: _("Basket completion for the cart's products (needs cart)."),
    Placement.TRENDING: _("Recently popular products, optionally within categoryId."),
    Placement.RECENTLY_VIEWED: _("The shopper's own recently viewed products."),
    Placement.CATEGORY_TOP: _("Best products of a category (needs categoryId)."),
}

PLACEMENTS: tuple[str, ...] = tuple(p.value for p in Placement)
