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
from django.utils.translation import gettext
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
