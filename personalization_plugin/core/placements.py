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
    VIEWED_TOGETHER = "viewed_together"
    POST_PURCHASE = "post_purchase"
    BUY_AGAIN = "buy_again"
    NEW_ARRIVALS = "new_arrivals"

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
    Placement.VIEWED_TOGETHER: _("Viewed together"),
    Placement.POST_PURCHASE: _("After purchase"),
    Placement.BUY_AGAIN: _("Buy again"),
    Placement.NEW_ARRIVALS: _("New arrivals"),
}

TITLES = {
    Placement.FOR_YOU: _("Picked for you"),
    Placement.SIMILAR: _("You may also like"),
    Placement.BOUGHT_TOGETHER: _("Frequently bought together"),
    Placement.CART: _("Complete your order"),
    Placement.TRENDING: _("Trending now"),
    Placement.RECENTLY_VIEWED: _("Recently viewed"),
    Placement.CATEGORY_TOP: _("Top picks in this category"),
    Placement.VIEWED_TOGETHER: _("Shoppers also viewed"),
    Placement.POST_PURCHASE: _("Goes well with your order"),
    Placement.BUY_AGAIN: _("Buy again"),
    Placement.NEW_ARRIVALS: _("New arrivals"),
}

DESCRIPTIONS = {
    Placement.FOR_YOU: _("Personal picks for the shopper (home page)."),
    Placement.SIMILAR: _("Products like the one on screen (product page; needs productId)."),
    Placement.BOUGHT_TOGETHER: _("Products bought with the one on screen (needs productId)."),
    Placement.CART: _("Basket completion for the cart's products (needs cart)."),
    Placement.TRENDING: _("Recently popular products, optionally within categoryId."),
    Placement.RECENTLY_VIEWED: _("The shopper's own recently viewed products."),
    Placement.CATEGORY_TOP: _("Best products of a category (needs categoryId)."),
    Placement.VIEWED_TOGETHER: _(
        "Products viewed in the same visits as the one on screen (needs productId)."
    ),
    Placement.POST_PURCHASE: _(
        "What buyers of an order's products bought next (order confirmation; needs cart)."
    ),
    Placement.BUY_AGAIN: _("Repurchasable products the shopper bought before."),
    Placement.NEW_ARRIVALS: _("The newest products, optionally within categoryId."),
}

PLACEMENTS: tuple[str, ...] = tuple(p.value for p in Placement)
