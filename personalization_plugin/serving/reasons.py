"""The sentence under each recommended product, e.g. "Because you viewed Oak Chair".

Reasons only ever name the shopper's own products (their recent items or cart, the
page they are on) or a category, never anything derived from another shopper. A
product or category in SENSITIVE_CATEGORIES is never named: the reason falls back to
a generic sentence, so a list shown on a shared screen reveals nothing delicate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from personalization_plugin.adapters import ProductInfo
from personalization_plugin.core.conf import plugin_settings

GENERIC: dict[str, str] = {
    "viewed": "Based on what you have looked at",
    "bought_with": "Often bought together",
    "trending": "Trending now",
    "popular": "Popular right now",
    "similar": "Similar to this item",
    "new": "New arrival",
    "pinned": "Featured",
    "recently_viewed": "In your recently viewed",
    "category_top": "Top pick",
    "discovery": "Something different for you",
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
    """A readable reason for `item`; `anchor` must already be checked as nameable."""
    if code == "viewed" and anchor is not None:
        return f"Because you viewed {anchor.title}"
    if code == "bought_with" and anchor is not None:
        return f"Often bought with {anchor.title}"
    if code == "similar" and anchor is not None:
        return f"Similar to {anchor.title}"
    if code == "trending" and category_name:
        return f"Trending in {category_name}"
    if code == "popular" and category_name:
        return f"Popular in {category_name}"
    if code == "category_top" and category_name:
        return f"Top in {category_name}"
    if code == "discovery" and category_name:
        return f"Something different: {category_name}"
    return GENERIC.get(code, GENERIC["popular"])


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
