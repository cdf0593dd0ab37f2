"""Candidate sources and the fallback chain each placement walks.

A source turns the request into scored candidates from one place: the trained model
(personal, item-to-item, bought-together, popular, new arrivals), the real-time store
(trending, recently viewed) or the catalog itself. Placements list sources best first;
serving walks the list until it has enough available products, so a new visitor, a
new product, an empty store, a missing model or a Redis outage each just moves the
list further down its chain instead of failing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Literal

from django.utils.translation import gettext

from personalization_plugin.adapters import ProductInfo
from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.core.placements import Placement
from personalization_plugin.core.ttl_cache import TTLCache
from personalization_plugin.engine import reorder
from personalization_plugin.engine.base import Scored, ServingModel
from personalization_plugin.serving import cache, catalog, history, realtime, reasons
from personalization_plugin.serving import trending as trending_blend

logger = logging.getLogger("personalization_plugin.serving")


@dataclass(frozen=True)
class Candidate:
    """A product a source proposes, with where it came from (for reasons and ordering)."""

    product_id: str
    score: float
    reason_code: str
    anchor: str = ""  # the product or category id the reason may name
    from_model: bool = False
    text: str = ""  # a fixed reason sentence, when the code's usual wording would not be true


@dataclass
class ServingRequest:
    """Everything one `recommend()` call knows, resolved once up front."""

    placement: str
    limit: int
    model: ServingModel | None
    subject: str | None  # None unless the visitor may be personalized
    product_id: str | None = None
    category_id: str | None = None
    cart: list[str] = field(default_factory=list)
    # What each cart (or order) line is worth (price x quantity), for cart completion.
    cart_values: dict[str, float] = field(default_factory=dict)
    recent: list[str] = field(default_factory=list)  # the shopper's own recent items, newest first
    purchased: set[str] = field(default_factory=set)
    customer_id: str = ""  # set only when the visitor may be personalized (buy again)
    visitor_id: str = ""
    accept: Callable[[ProductInfo], bool] | None = None  # the request's hard filters

    @property
    def personal(self) -> bool:
        return self.subject is not None


Source = Callable[[ServingRequest, int, Collection[str]], list[Candidate]]


def _ask(req: ServingRequest, question: Callable[[ServingModel], Scored]) -> Scored:
    """The model's answer to `question`, or [] without a model or when it fails: a broken
    model must never break a storefront page."""
    if req.model is None:
        return []
    try:
        return list(question(req.model))
    except Exception:
        logger.exception("Model %s failed; falling back", req.model.version)
        return []


def _similar(pid: str, n: int, exclude: Collection[str]) -> Callable[[ServingModel], Scored]:
    return lambda model: model.similar(pid, n=n, exclude=exclude)


GLOBAL_TTL = 300.0  # a model's global lists only change when a new version is trained
_global_lists: TTLCache[tuple[str, str, str, int], Scored] = TTLCache(5_000, GLOBAL_TTL)
GlobalList = Literal["popular", "trending", "new_arrivals"]
# The model lists that are the same for every shopper, by name (the cache key's part).
GLOBAL_LISTS: dict[GlobalList, Callable[[ServingModel, int, str | None], Scored]] = {
    "popular": lambda model, n, category: model.popular(n=n, category_id=category),
    "trending": lambda model, n, category: model.trending(n=n, category_id=category),
    "new_arrivals": lambda model, n, category: model.new_arrivals(n=n, category_id=category),
}


def _global_list(
    name: GlobalList,
    req: ServingRequest,
    category_id: str | None,
    n: int,
    exclude: Collection[str],
) -> Scored:
    """A model list that is the same for every shopper (popular, new, trending), reused.

    Each costs a pass over every item; it is fetched once per model version in a size
    bucket large enough for the exclusions, then filtered per request.
    """
    if req.model is None:
        return []
    size = 64
    while size < n + len(exclude):
        size *= 2
    key = (str(req.model.version), name, category_id or "", size)
    scored = _global_lists.get(key)
    if scored is None:
        fetch = GLOBAL_LISTS[name]
        scored = _ask(req, lambda model: fetch(model, size, category_id))
        _global_lists.set(key, scored)
    return [(pid, s) for pid, s in scored if pid not in exclude][:n]


def _wrap(scored: Scored, code: str, anchor: str = "", from_model: bool = True) -> list[Candidate]:
    return [Candidate(pid, float(score), code, anchor, from_model) for pid, score in scored]


# --- sources -------------------------------------------------------------------------


def personal(req: ServingRequest, n: int, exclude: Collection[str]) -> list[Candidate]:
    """The model's personal top-n, folded with the shopper's recent items (cached)."""
    if req.model is None or req.subject is None:
        return []
    if not req.recent and not req.model.knows_subject(req.subject):
        return []
    model = req.model
    subject = req.subject
    scored = cache.personal_top(
        model.version,
        subject,
        req.recent,
        n + len(exclude),
        lambda size: _ask(req, lambda m: m.for_subject(subject, req.recent, n=size)),
    )
    kept = [(pid, s) for pid, s in scored if pid not in exclude][:n]
    return _wrap(kept, "viewed")


def session_similar(req: ServingRequest, n: int, exclude: Collection[str]) -> list[Candidate]:
    """Item-to-item from the shopper's newest recent items (a visitor the model never saw)."""
    out: list[Candidate] = []
    for pid in req.recent[:3]:
        out += _wrap(_ask(req, _similar(pid, n, exclude)), "viewed", pid)
    return sorted(out, key=lambda c: -c.score)


def similar_to_product(req: ServingRequest, n: int, exclude: Collection[str]) -> list[Candidate]:
    pid = req.product_id or ""
    return _wrap(_ask(req, _similar(pid, n, exclude)), "similar", pid)


def viewed_with_product(req: ServingRequest, n: int, exclude: Collection[str]) -> list[Candidate]:
    pid = req.product_id or ""
    scored = _ask(req, lambda m: m.viewed_together([pid], n=n, exclude=exclude))
    return _wrap(scored, "viewed_with", pid)


def bought_with_product(req: ServingRequest, n: int, exclude: Collection[str]) -> list[Candidate]:
    pid = req.product_id or ""
    scored = _ask(req, lambda m: m.bought_together([pid], n=n, exclude=exclude))
    return _wrap(scored, "bought_with", pid)


MAX_CART_ANCHORS = 5


def bought_with_cart(req: ServingRequest, n: int, exclude: Collection[str]) -> list[Candidate]:
    """Basket completion: ranked on the whole cart at once."""
    return _from_cart(_bought_together, "bought_with", req, n, exclude)


def viewed_with_cart(req: ServingRequest, n: int, exclude: Collection[str]) -> list[Candidate]:
    return _from_cart(_viewed_together, "viewed_with", req, n, exclude)


def cart_bought_round_robin(
    req: ServingRequest, n: int, exclude: Collection[str]
) -> list[Candidate]:
    """Cart completion: companions of every cart line, taken in turns weighted by what
    the line is worth, so a cheap second item still gets its own suggestions."""
    return _round_robin(_bought_together, "bought_with", req, n, exclude)


def cart_viewed_round_robin(
    req: ServingRequest, n: int, exclude: Collection[str]
) -> list[Candidate]:
    return _round_robin(_viewed_together, "viewed_with", req, n, exclude)


def _round_robin(
    together: Together, code: str, req: ServingRequest, n: int, exclude: Collection[str]
) -> list[Candidate]:
    if not req.cart:
        return []
    # Every line that could win a slot is asked: the most valuable ones, whatever their
    # place in the cart (a pricey item added last still leads).
    lines = sorted(req.cart, key=lambda pid: -req.cart_values.get(pid, 1.0))[
        : max(MAX_CART_ANCHORS, n)
    ]

    def partners_of(pid: str) -> list[str]:
        return [p for p, _ in _ask(req, lambda m: together(m, [pid], n, exclude))]

    partners = {pid: partners_of(pid) for pid in lines}
    order = interleave(partners, {pid: req.cart_values.get(pid, 1.0) for pid in lines}, n)
    return [
        Candidate(pid, 1.0 / (k + 1), code, anchor, True) for k, (pid, anchor) in enumerate(order)
    ]


def interleave(
    lists: dict[str, list[str]], weights: dict[str, float], n: int
) -> list[tuple[str, str]]:
    """Up to n distinct (item, anchor) pairs taken from each anchor's list in turns.

    The first round gives every anchor one item (the most valuable anchor first); after
    that, smooth weighted round-robin: each anchor's share of the slots follows its
    weight, and an anchor whose list runs out yields its turns to the others.
    """
    taken: set[str] = set()
    queues = {a: [p for p in items] for a, items in lists.items()}
    out: list[tuple[str, str]] = []

    def take(anchor: str) -> bool:
        queue = queues[anchor]
        while queue:
            pid = queue.pop(0)
            if pid not in taken:
                taken.add(pid)
                out.append((pid, anchor))
                return True
        return False

    ranked = sorted(queues, key=lambda a: -weights.get(a, 1.0))
    for anchor in ranked:
        if len(out) >= n:
            return out
        take(anchor)
    credit = dict.fromkeys(ranked, 0.0)
    while len(out) < n:
        live = [a for a in ranked if queues[a]]
        if not live:
            break
        total = sum(max(weights.get(a, 1.0), 1e-9) for a in live)
        for a in live:
            credit[a] += max(weights.get(a, 1.0), 1e-9)
        best = max(live, key=lambda a: credit[a])
        credit[best] -= total
        take(best)
    return out


Together = Callable[[ServingModel, list[str], int, Collection[str]], Scored]


def _bought_together(
    model: ServingModel, ids: list[str], n: int, exclude: Collection[str]
) -> Scored:
    return model.bought_together(ids, n=n, exclude=exclude)


def _viewed_together(
    model: ServingModel, ids: list[str], n: int, exclude: Collection[str]
) -> Scored:
    return model.viewed_together(ids, n=n, exclude=exclude)


def _from_cart(
    together: Together, code: str, req: ServingRequest, n: int, exclude: Collection[str]
) -> list[Candidate]:
    if not req.cart:
        return []
    cart = list(req.cart)
    scored = _ask(req, lambda m: together(m, cart, n, exclude))
    if len(req.cart) == 1:
        return _wrap(scored, code, req.cart[0])

    # The reason names the cart item a suggestion really goes with, found item by item.
    def partners_of(pid: str) -> set[str]:
        return {p for p, _ in _ask(req, lambda m: together(m, [pid], max(n, 50), ()))}

    partners = {pid: partners_of(pid) for pid in req.cart[:MAX_CART_ANCHORS]}
    return [
        Candidate(
            pid,
            float(score),
            code,
            next((anchor for anchor, found in partners.items() if pid in found), ""),
            True,
        )
        for pid, score in scored
    ]


TRENDING_TTL = 1.0  # seconds a trending board is reused: it is global, not per shopper
TRENDING_BOARD = 100
_boards: TTLCache[tuple[str, int], list[tuple[str, float]]] = TTLCache(2_000, TRENDING_TTL)


def clear() -> None:
    """Forget the reused global lists and trending boards (tests; a new model version
    already selects fresh keys)."""
    _boards.clear()
    _global_lists.clear()


def trending_board(category_id: str | None, size: int) -> list[tuple[str, float]]:
    """The real-time trending board, reused for a second across requests."""
    size = max(size, TRENDING_BOARD)
    key = (category_id or "", size)
    board = _boards.get(key)
    if board is None:
        pairs = realtime.trending(size, category_id)
        board = [(str(pid), float(score)) for pid, score in pairs]
        _boards.set(key, board)
    return board


def trending(req: ServingRequest, n: int, exclude: Collection[str]) -> list[Candidate]:
    """Live trending (distinct recent shoppers) smoothed towards the model's trending
    list as a prior (`serving.trending`); the live board alone without a model."""
    board = trending_board(req.category_id, n + len(exclude))
    prior = _global_list("trending", req, req.category_id, TRENDING_BOARD, ()) if board else []
    strength = float(plugin_settings.TRENDING_PRIOR_SHOPPERS)
    ranked = trending_blend.blend(board, prior, strength)
    kept = [row for row in ranked if row[0] not in exclude][:n]
    anchor = req.category_id or ""
    return [Candidate(pid, score, "trending", anchor, known) for pid, score, known in kept]


def model_trending(req: ServingRequest, n: int, exclude: Collection[str]) -> list[Candidate]:
    """Trending as of training: stands in when the real-time store is empty or down."""
    if req.model is None:
        return []
    scored = _global_list("trending", req, req.category_id, n, exclude)
    return _wrap(scored, "trending", req.category_id or "")


def popular(req: ServingRequest, n: int, exclude: Collection[str]) -> list[Candidate]:
    scored = _global_list("popular", req, req.category_id, n, exclude)
    return _wrap(scored, "popular", req.category_id or "")


def popular_in_product_category(
    req: ServingRequest, n: int, exclude: Collection[str]
) -> list[Candidate]:
    """Popular items sharing the current product's category: a new product's neighbours."""
    if not req.product_id:
        return []
    info = catalog.get_products([req.product_id]).get(req.product_id)
    categories = info.category_ids if info else ()
    out: list[Candidate] = []
    for cid in categories[:2]:
        scored = _global_list("popular", req, cid, n, exclude)
        out += _wrap(scored, "similar", req.product_id)
    return out


def category_top(req: ServingRequest, n: int, exclude: Collection[str]) -> list[Candidate]:
    scored = _global_list("popular", req, req.category_id, n, exclude)
    return _wrap(scored, "category_top", req.category_id or "")


def new_arrivals(req: ServingRequest, n: int, exclude: Collection[str]) -> list[Candidate]:
    scored = _global_list("new_arrivals", req, req.category_id, n, exclude)
    return _wrap(scored, "new")


def catalog_fallback(req: ServingRequest, n: int, exclude: Collection[str]) -> list[Candidate]:
    """The adapter's own catalog order: answers with no model, no events and no Redis."""
    infos = catalog.catalog_order(
        n, category_id=req.category_id, exclude=exclude, accept=req.accept
    )
    return [
        Candidate(info.id, 0.0, "popular", from_model=False, text=gettext("Picked from our range"))
        for info in infos
    ]


def recently_viewed(req: ServingRequest, n: int, exclude: Collection[str]) -> list[Candidate]:
    """Only what this shopper viewed; never padded with anything else."""
    if req.subject is None:
        return []
    ids = realtime.recently_viewed(req.subject, n + len(exclude))
    kept = [str(pid) for pid in ids if str(pid) not in exclude][:n]
    return [Candidate(pid, 1.0 / (i + 1), "recently_viewed", pid) for i, pid in enumerate(kept)]


def bought_next(req: ServingRequest, n: int, exclude: Collection[str]) -> list[Candidate]:
    """Post-purchase: what shoppers who bought this order's products bought next."""
    if not req.cart:
        return []
    found = history.bought_next(req.cart[:MAX_CART_ANCHORS])
    kept = [(pid, anchor, s) for pid, anchor, s in found if pid not in exclude][:n]
    return [Candidate(pid, s, "bought_next", anchor, False) for pid, anchor, s in kept]


def buy_again(req: ServingRequest, n: int, exclude: Collection[str]) -> list[Candidate]:
    """The shopper's own past purchases in REPURCHASABLE_CATEGORIES (nothing else, ever),
    timed by their reorder interval (`engine.reorder`): not shown while just bought, best
    when due; the reason says the interval it was timed by."""
    if req.subject is None or not (req.customer_id or req.visitor_id):
        return []
    own = history.purchase_times(req.customer_id, req.visitor_id)
    infos = catalog.get_products(pid for pid in own if pid not in exclude)
    repurchasable = set(plugin_settings.REPURCHASABLE_CATEGORIES or ())
    groups: dict[str, str] = {}
    for pid, info in infos.items():
        group = next((c for c in info.category_ids if c in repurchasable), None)
        if group is not None:
            groups[pid] = group
    # Category intervals may use every past purchase of that category, even excluded ones.
    ranked = reorder.rank_due(
        {pid: times for pid, times in own.items() if pid in groups},
        time.time(),
        history.catalog_intervals(),
        groups,
    )
    found = [d for d in ranked if d.item not in exclude][:n]
    return [
        Candidate(
            d.item,
            float(len(found) - i),
            "buy_again",
            d.item,
            text=reasons.reorder_reason(d.interval, own=d.source in ("own_item", "own_category")),
        )
        for i, d in enumerate(found)
    ]


def catalog_newest(req: ServingRequest, n: int, exclude: Collection[str]) -> list[Candidate]:
    """The adapter's newest available products (by created_at), with no model at all."""
    infos = catalog.newest(n, category_id=req.category_id, exclude=exclude, accept=req.accept)
    return [Candidate(info.id, 0.0, "new", from_model=False) for info in infos]


# The generic stand-ins: walked after a placement's own sources only when the caller
# asks for them (fallback="stand_in"); each names the list it really is.
STAND_INS: tuple[Source, ...] = (
    trending,
    model_trending,
    popular,
    new_arrivals,
    catalog_fallback,
)
NON_PERSONAL = STAND_INS  # the old name

# What a list filled by a stand-in really is (RecommendationList.source).
STAND_IN_KINDS: dict[Source, str] = {
    trending: "trending",
    model_trending: "trending",
    popular: "popular",
    new_arrivals: "new_arrivals",
    catalog_fallback: "catalog",
}

# Each placement's own sources, best first: its purpose, and nothing borrowed.
CHAINS: dict[Placement, tuple[Source, ...]] = {
    Placement.FOR_YOU: (personal, session_similar),
    Placement.SIMILAR: (similar_to_product, popular_in_product_category),
    Placement.BOUGHT_TOGETHER: (bought_with_product,),
    Placement.VIEWED_TOGETHER: (viewed_with_product,),
    Placement.CART: (cart_bought_round_robin, cart_viewed_round_robin),
    Placement.POST_PURCHASE: (bought_next, bought_with_cart),
    Placement.BUY_AGAIN: (buy_again,),
    Placement.NEW_ARRIVALS: (new_arrivals, catalog_newest),
    Placement.TRENDING: (trending, model_trending),
    Placement.RECENTLY_VIEWED: (recently_viewed,),
    Placement.CATEGORY_TOP: (category_top,),
}

# Sources that read the shopper's own history: dropped without consent.
PERSONAL_SOURCES: tuple[Source, ...] = (personal, session_similar, recently_viewed, buy_again)


def chain_for(placement: str, personalized: bool) -> Sequence[Source]:
    """A placement's own sources; without consent, sources that read history are dropped."""
    chain = CHAINS[Placement(placement)]
    if personalized:
        return chain
    return tuple(s for s in chain if s not in PERSONAL_SOURCES)
