"""Is each placement personal yet? The dashboard's answer, per placement.

A new store has a widget on every page from the first day, but most lists only become
what their title promises once enough shoppers did enough: "bought together" needs
orders with two products, "for you" a trained model with shoppers in it, "buy again"
repeat purchases. Until then serving walks the placement's next sources (or the block's
empty-list setting), so an owner who sees "Trending now" where "Picked for you" was
expected should be able to read why here, and what is missing.

Everything is read from what serving itself uses, already in memory or cached: the
active model's precomputed rows, the live trending board and the store's reorder
intervals. No event scan, so the dashboard stays fast on a big store.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_lazy, ngettext

from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.core.placements import Placement
from personalization_plugin.serving import fallbacks
from personalization_plugin.serving.fallbacks import Source

logger = logging.getLogger("personalization_plugin.reports")

State = Literal["ready", "partly", "not_yet", "off"]

# A model is personal for most shoppers once it has seen this many of them; below it a
# model exists but most of its picks are popularity in disguise.
MIN_MODEL_SHOPPERS = 50
MIN_MODEL_INTERACTIONS = 500
# An item-to-item list is "ready" when at least this share of the available products
# has a list of its own; below it, the rest of the products fall back.
READY_COVERAGE = 0.5

STATE_LABELS: dict[str, Any] = {
    "ready": gettext_lazy("Personal"),
    "partly": gettext_lazy("Partly personal"),
    "not_yet": gettext_lazy("Not yet personal"),
    "off": gettext_lazy("Off"),
}

# What each source is, in the owner's words (the "until then" column).
SOURCE_LABELS: dict[Source, Any] = {
    fallbacks.personal: gettext_lazy("the model's picks for the shopper"),
    fallbacks.session_similar: gettext_lazy("products like the ones viewed in this visit"),
    fallbacks.similar_to_product: gettext_lazy("similar products from the model"),
    fallbacks.popular_in_product_category: gettext_lazy("popular products of the same category"),
    fallbacks.bought_with_product: gettext_lazy("products bought with this one"),
    fallbacks.viewed_with_product: gettext_lazy("products viewed with this one"),
    fallbacks.cart_bought_round_robin: gettext_lazy("products bought with the cart's products"),
    fallbacks.cart_viewed_round_robin: gettext_lazy("products viewed with the cart's products"),
    fallbacks.bought_next: gettext_lazy("what buyers of these products bought next"),
    fallbacks.bought_with_cart: gettext_lazy("products bought with the order's products"),
    fallbacks.buy_again: gettext_lazy("the shopper's own purchases, when due again"),
    fallbacks.new_arrivals: gettext_lazy("the newest products the model knows"),
    fallbacks.catalog_newest: gettext_lazy("the catalog's newest products"),
    fallbacks.trending: gettext_lazy("live trending (distinct recent shoppers)"),
    fallbacks.model_trending: gettext_lazy("trending at the last training"),
    fallbacks.recently_viewed: gettext_lazy("the shopper's own recent views"),
    fallbacks.category_top: gettext_lazy("the category's best sellers"),
}


@dataclass(frozen=True)
class PlacementReadiness:
    """One dashboard row: how personal a placement can be with the data the store has."""

    placement: Placement
    state: State
    evidence: str  # what the state was judged on, with the numbers
    until_then: str  # what fills the list where it is not personal yet

    @property
    def label(self) -> str:
        return self.placement.label

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])


def _count(value: int) -> str:
    return number_format(int(value), 0, force_grouping=True)


def _share(value: float) -> str:
    return number_format(round(value * 100), 0) + " %"


def _rows_with_data(matrix: Any) -> np.ndarray:
    """Positions of the rows of a CSR matrix that hold at least one entry."""
    if matrix is None or not hasattr(matrix, "indptr"):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.diff(matrix.indptr) > 0)


@dataclass(frozen=True)
class _Facts:
    """What the readiness rules read, gathered once per page."""

    has_model: bool
    shoppers: int
    interactions: int
    products: int  # available products the model knows
    similar: int  # available products with a list of their own, per kind
    bought: int
    viewed: int
    followed: int
    cart: int  # bought or viewed with
    categories: int
    dated: int  # products with a creation date
    trending: int  # products on the live trending board
    repurchasable: bool
    reorder_items: int
    reorder_overall: bool


def _model_facts(model: Any, version: Any) -> dict[str, Any]:
    if model is None:
        return {"has_model": False}
    available = np.asarray(getattr(model, "available", ()), dtype=bool)
    keep = set(np.flatnonzero(available).tolist()) if available.size else None

    def covered(*names: str) -> int:
        rows: set[int] = set()
        for name in names:
            rows.update(_rows_with_data(getattr(model, name, None)).tolist())
        return len(rows & keep) if keep is not None else len(rows)

    created = np.asarray(getattr(model, "created", ()), dtype=float)
    category_items = getattr(model, "category_items", None)
    return {
        "has_model": True,
        "shoppers": int(getattr(version, "n_users", 0) or len(getattr(model, "subject_ids", ()))),
        "interactions": int(getattr(version, "n_interactions", 0) or 0),
        "products": len(keep) if keep is not None else int(getattr(model, "n_items", 0)),
        "similar": covered("similar_rows"),
        "bought": covered("bought_rows"),
        "viewed": covered("viewed_rows"),
        "followed": covered("followed_rows"),
        "cart": covered("bought_rows", "viewed_rows"),
        "categories": len(_rows_with_data(category_items)),
        "dated": int(np.count_nonzero(created > 0)) if created.size else 0,
    }


def _facts() -> _Facts:
    from personalization_plugin.engine.registry import get_active_model
    from personalization_plugin.models import ModelVersion
    from personalization_plugin.serving import history

    # The database's active row is the truth; the loaded artifact supplies the rows.
    version = ModelVersion.objects.filter(is_active=True).first()
    model = None
    if version is not None:
        try:
            model = get_active_model()
        except Exception as exc:  # a broken artifact is the model page's business
            logger.warning("Readiness: the active model did not load (%s)", exc)
    found: dict[str, Any] = {
        "shoppers": 0,
        "interactions": 0,
        "products": 0,
        "similar": 0,
        "bought": 0,
        "viewed": 0,
        "followed": 0,
        "cart": 0,
        "categories": 0,
        "dated": 0,
    }
    found.update(_model_facts(model, version))
    try:
        board = fallbacks.trending_board(None, fallbacks.TRENDING_BOARD)
    except Exception as exc:  # Redis away: the board is unknown, say so as empty
        logger.warning("Readiness: trending board unavailable (%s)", exc)
        board = []
    repurchasable = bool(plugin_settings.REPURCHASABLE_CATEGORIES)
    intervals = history.catalog_intervals() if repurchasable else None
    return _Facts(
        trending=len(board),
        repurchasable=repurchasable,
        reorder_items=len(intervals.by_item) if intervals else 0,
        reorder_overall=bool(intervals and intervals.overall is not None),
        **found,
    )


def _coverage(count: int, facts: _Facts, what: str) -> tuple[State, str]:
    """State and evidence of an item-to-item list from how many products have one."""
    if not facts.has_model:
        return "not_yet", gettext("No model is trained yet.")
    total = max(facts.products, 1)
    state: State = "ready" if count / total >= READY_COVERAGE else "partly" if count else "not_yet"
    return state, gettext(
        "%(count)s of %(total)s available products have %(what)s (%(share)s)."
    ) % {
        "count": _count(count),
        "total": _count(facts.products),
        "what": what,
        "share": _share(count / total),
    }


def _for_you(facts: _Facts) -> tuple[State, str]:
    if not facts.has_model:
        return "not_yet", gettext("No model is trained yet.")
    enough = facts.shoppers >= MIN_MODEL_SHOPPERS and facts.interactions >= MIN_MODEL_INTERACTIONS
    return ("ready" if enough else "partly"), gettext(
        "The active model knows %(shoppers)s shoppers and %(interactions)s interactions"
        " (personal from %(min_shoppers)s shoppers and %(min_interactions)s interactions)."
    ) % {
        "shoppers": _count(facts.shoppers),
        "interactions": _count(facts.interactions),
        "min_shoppers": _count(MIN_MODEL_SHOPPERS),
        "min_interactions": _count(MIN_MODEL_INTERACTIONS),
    }


def _trending(facts: _Facts) -> tuple[State, str]:
    least = _count(int(plugin_settings.TRENDING_MIN_SHOPPERS))
    if facts.trending:
        return "ready", ngettext(
            "%(count)s product is on the live board (each seen by at least %(min)s"
            " distinct shoppers lately).",
            "%(count)s products are on the live board (each seen by at least %(min)s"
            " distinct shoppers lately).",
            facts.trending,
        ) % {"count": _count(facts.trending), "min": least}
    return "not_yet", gettext("No product was seen by %(min)s distinct shoppers lately.") % {
        "min": least
    }


def _buy_again(facts: _Facts) -> tuple[State, str]:
    if not facts.repurchasable:
        return "off", gettext(
            "No repurchasable categories are set (PERSONALIZATION['REPURCHASABLE_CATEGORIES'])."
        )
    if facts.reorder_overall:
        return "ready", gettext(
            "The store's reorder interval is known, and %(count)s products have their own."
        ) % {"count": _count(facts.reorder_items)}
    return ("partly" if facts.reorder_items else "not_yet"), gettext(
        "%(count)s products have a known reorder interval; the store-wide one needs more"
        " repeat purchases. Each shopper's own interval is used where they have one."
    ) % {"count": _count(facts.reorder_items)}


def _new_arrivals(facts: _Facts) -> tuple[State, str]:
    if facts.dated:
        return "ready", gettext("%(count)s products have a creation date.") % {
            "count": _count(facts.dated)
        }
    return "not_yet", gettext(
        "No product the model knows has a creation date: the catalog's newest are asked of"
        " the store."
    )


def _category_top(facts: _Facts) -> tuple[State, str]:
    if facts.has_model and facts.categories:
        return "ready", gettext("%(count)s categories have products with sales or views.") % {
            "count": _count(facts.categories)
        }
    return "not_yet", gettext("No model with categories is trained yet.")


def _recently_viewed(facts: _Facts) -> tuple[State, str]:
    return "ready", gettext("Always personal: each shopper's own views (empty for a first visit).")


RULES: dict[Placement, Callable[[_Facts], tuple[State, str]]] = {
    Placement.FOR_YOU: _for_you,
    Placement.SIMILAR: lambda f: _coverage(f.similar, f, gettext("similar products")),
    Placement.BOUGHT_TOGETHER: lambda f: _coverage(f.bought, f, gettext("co-purchases")),
    Placement.VIEWED_TOGETHER: lambda f: _coverage(f.viewed, f, gettext("co-views")),
    Placement.CART: lambda f: _coverage(f.cart, f, gettext("co-purchases or co-views")),
    Placement.POST_PURCHASE: lambda f: _coverage(
        f.followed or f.bought, f, gettext("later purchases by their buyers")
    ),
    Placement.BUY_AGAIN: _buy_again,
    Placement.NEW_ARRIVALS: _new_arrivals,
    Placement.TRENDING: _trending,
    Placement.RECENTLY_VIEWED: _recently_viewed,
    Placement.CATEGORY_TOP: _category_top,
}


def _until_then(placement: Placement) -> str:
    """The sources serving walks after the placement's own first one, then the block's
    empty-list setting: what a shopper sees where the list is not personal."""
    chain: Sequence[Source] = fallbacks.CHAINS[placement]
    later = [str(SOURCE_LABELS[s]) for s in chain[1:] if s in SOURCE_LABELS]
    if not later:
        return gettext(
            "The block's empty-list setting: nothing, the generic lists, trending or new arrivals."
        )
    return gettext("%(sources)s, then the block's empty-list setting.") % {
        "sources": capfirst("; ".join(later))
    }


def placements() -> list[PlacementReadiness]:
    """One row per placement, in the placements' own order."""
    facts = _facts()
    rows = []
    for placement in Placement:
        state, evidence = RULES[placement](facts)
        rows.append(PlacementReadiness(placement, state, evidence, _until_then(placement)))
    return rows
