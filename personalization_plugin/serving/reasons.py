"""The sentence under each recommended product, e.g. "Because you viewed Oak Chair".

Reasons only ever name the shopper's own products (their recent items or cart, the
page they are on) or a category, never anything derived from another shopper. A
product or category in SENSITIVE_CATEGORIES is never named: the reason falls back to
a generic sentence, so a list shown on a shared screen reveals nothing delicate.

Every sentence goes through gettext with named placeholders, so a translator can move
the product or category name where their language wants it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from personalization_plugin.adapters import ProductInfo
from personalization_plugin.core.conf import plugin_settings

# Lazy: translated when a reason is built, in the language of that request.
GENERIC: dict[str, Promise] = {
    "viewed": _("Based on what you have looked at"),
    "bought_with": _("Often bought together"),
    "trending": _("Trending now"),
    "popular": _("Popular right now"),
    "similar": _("Similar to this item"),
    "new": _("New arrival"),
    "pinned": _("Featured"),
    "recently_viewed": _("In your recently viewed"),
    "category_top": _("Top pick"),
    "discovery": _("Something different for you"),
    "viewed_with": _("Often viewed together"),
    "bought_next": _("Customers came back for this"),
    "buy_again": _("You bought this before"),
}


def sensitive_categories() -> set[str]:
    return set(plugin_settings.SENSITIVE_CATEGORIES or ())


def is_sensitive(info: ProductInfo | None, sensitive: set[str]) -> bool:
    return info is None or bool(sensitive.intersection(info.category_ids))


def nameable_category(category_ids: Sequence[str], sensitive: set[str]) -> str:
    """The first category that may be named, or ""."""
    return next((c for c in category_ids if c and c not in sensitive), "")


def explain(
    code: str,
    item: ProductInfo,
    *,
    anchor: ProductInfo | None = None,
    category_name: str = "",
) -> str:
    """A readable reason for `item` in the active language; `anchor` must already be
    checked as nameable."""
    if code == "viewed" and anchor is not None:
        return gettext("Because you viewed %(product)s") % {"product": anchor.title}
    if code == "bought_with" and anchor is not None:
        return gettext("Often bought with %(product)s") % {"product": anchor.title}
    if code == "viewed_with" and anchor is not None:
        return gettext("Often viewed with %(product)s") % {"product": anchor.title}
    if code == "bought_next" and anchor is not None:
        return gettext("Buyers of %(product)s came back for this") % {"product": anchor.title}
    if code == "similar" and anchor is not None:
        return gettext("Similar to %(product)s") % {"product": anchor.title}
    if code == "trending" and category_name:
        return gettext("Trending in %(category)s") % {"category": category_name}
    if code == "popular" and category_name:
        return gettext("Popular in %(category)s") % {"category": category_name}
    if code == "category_top" and category_name:
        return gettext("Top in %(category)s") % {"category": category_name}
    if code == "discovery" and category_name:
        return gettext("Something different: %(category)s") % {"category": category_name}
    return str(GENERIC.get(code, GENERIC["popular"]))


DAY = 86_400.0


def about(seconds: float) -> str:
    """A reorder interval as people say it: "~10 days", "~3 weeks", "~2 months"."""
    days = max(1, round(seconds / DAY))
    if days < 14:
        return ngettext("~%(count)d day", "~%(count)d days", days) % {"count": days}
    if days < 60:
        weeks = round(days / 7)
        return ngettext("~%(count)d week", "~%(count)d weeks", weeks) % {"count": weeks}
    months = round(days / 30)
    return ngettext("~%(count)d month", "~%(count)d months", months) % {"count": months}


def reorder_reason(interval: float | None, *, own: bool) -> str:
    """Why a past purchase is shown again: the interval it was timed by, the shopper's
    own (`own`) or the store's; the plain sentence when no interval is known."""
    if interval is None:
        return str(GENERIC["buy_again"])
    if interval < DAY:
        # Sub-day "intervals" come from one day's repeat trips: not worth a sentence.
        return str(GENERIC["buy_again"])
    if own:
        return gettext("You usually reorder this every %(interval)s") % {
            "interval": about(interval)
        }
    return gettext("Customers usually reorder this every %(interval)s") % {
        "interval": about(interval)
    }


def pick_viewed_anchor(
    item: ProductInfo,
    recent: Sequence[str],
    infos: Mapping[str, ProductInfo],
    sensitive: set[str],
) -> ProductInfo | None:
    """Which of the shopper's own recent items explains `item`: one sharing a category
    with it if possible, else the newest; never a sensitive one."""
    nameable = [infos[p] for p in recent if p in infos and not is_sensitive(infos[p], sensitive)]
    if not nameable:
        return None
    cats = set(item.category_ids)
    return next((a for a in nameable if cats.intersection(a.category_ids)), nameable[0])


# How each list was made, for the widget's "Why these products?". Only the shopper's
# own actions are named (the products of their page, cart or recent views); everything
# counted across shoppers is described, never attributed to anyone.
LIST_EXPLANATIONS: dict[str, Promise] = {
    "for_you": _(
        "Chosen from the products you looked at in this store. Only this store's own "
        "record of your visits is used."
    ),
    "recently_viewed": _("The products you looked at most recently in this store."),
    "buy_again": _(
        "Products you bought here before, from ranges people usually buy again, shown "
        "when they are about due by how often you (or, if we cannot tell, shoppers in "
        "general) reorder them."
    ),
    "similar": _(
        "Products like the one on this page, by description and by what shoppers browse together."
    ),
    "bought_together": _(
        "Products that often appear in the same orders as this one, counted across all "
        "orders without naming anyone."
    ),
    "viewed_together": _(
        "Products often looked at in the same visit as this one, counted across all "
        "shoppers without naming anyone."
    ),
    "cart": _("Products often bought with the items in your cart, a share for each of them."),
    "post_purchase": _(
        "What shoppers who bought the products in your order came back for later, "
        "counted without naming anyone."
    ),
    "trending": _(
        "The same for every visitor: products many shoppers looked at recently. Your "
        "own activity is not used."
    ),
    "popular": _(
        "The same for every visitor: the store's most popular products. Your own "
        "activity is not used."
    ),
    "new_arrivals": _("The same for every visitor: the newest products in the store."),
    "category_top": _("The same for every visitor: the most popular products in this category."),
    "catalog": _("The same for every visitor: a selection from the store's range."),
}
# Lists built around the shopper's own products: the explanation names them.
NAMES_OWN = {
    "for_you": _("You recently looked at %(products)s."),
    "bought_together": _("This list starts from %(products)s, on this page."),
    "viewed_together": _("This list starts from %(products)s, on this page."),
    "similar": _("This list starts from %(products)s, on this page."),
    "cart": _("Your cart holds %(products)s."),
    "post_purchase": _("Your order holds %(products)s."),
}


def explain_list(source: str, own_products: Sequence[str]) -> str:
    """How a list filled by `source` was made, in one or two sentences; `own_products`
    are titles of the shopper's own products (already checked as nameable)."""
    text = str(LIST_EXPLANATIONS.get(source, LIST_EXPLANATIONS["catalog"]))
    if source in NAMES_OWN and own_products:
        names = ", ".join(own_products)
        text += " " + str(NAMES_OWN[source]) % {"products": names}
    return text
