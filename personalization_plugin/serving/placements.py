"""`recommend()`: one placement's list, from model, real-time state and the owner's rules.

The steps, each in its own module: resolve who is asking and what they may be shown
(`rules.Filters`); walk the placement's fallback chain until enough available products
are collected (`fallbacks`); apply boost/bury, then diversify (`diversity`), add the
discovery slot and the owner's pins; explain every item (`reasons`).
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

import numpy as np

from personalization_plugin.adapters import ProductInfo
from personalization_plugin.core import registry
from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.core.exceptions import InvalidRecommendationRequest, UnknownPlacement
from personalization_plugin.core.placements import PLACEMENTS, Placement
from personalization_plugin.core.ttl_cache import ErasureAwareTTLCache, TTLCache
from personalization_plugin.engine.base import ServingModel
from personalization_plugin.experiments.bucketing import Arm, assign
from personalization_plugin.serving import (
    cache,
    catalog,
    diversity,
    fallbacks,
    realtime,
    reasons,
    rules,
)
from personalization_plugin.serving.fallbacks import Candidate, ServingRequest, Source
from personalization_plugin.serving.realtime import RECENT_ITEMS
from personalization_plugin.serving.types import (
    FALLBACKS,
    NO_FALLBACK,
    STAND_IN,
    Recommendation,
    RecommendationList,
)
from personalization_plugin.tracking import erasure_generation
from personalization_plugin.tracking.identity import Visitor

# A price bound as callers pass it: parsed to Decimal, or rejected with a clear message.
Price = Decimal | int | float | str | None

logger = logging.getLogger("personalization_plugin.serving")

MAX_LIMIT = 100
POOL_FACTOR = 2  # candidates collected per slot, so diversity has something to choose from
FETCH_FACTOR = 3  # candidates asked of a source per slot still missing, before filtering
NEEDS_PRODUCT = (Placement.SIMILAR, Placement.BOUGHT_TOGETHER, Placement.VIEWED_TOGETHER)
DIVERSIFIED = (
    Placement.FOR_YOU,
    Placement.BOUGHT_TOGETHER,
    Placement.TRENDING,
    Placement.POST_PURCHASE,
    Placement.NEW_ARRIVALS,
)
# Lists whose order is their meaning: shown as the sources rank them (cart completion
# takes its turns across the cart's lines; history is history).
AS_RANKED = (Placement.RECENTLY_VIEWED, Placement.BUY_AGAIN, Placement.CART)
HISTORY_ONLY = (Placement.RECENTLY_VIEWED, Placement.BUY_AGAIN)
Cart = Iterable[str | int] | Mapping[str, int | float] | Mapping[int, int | float]


def recommend(
    placement: str,
    *,
    visitor: Visitor | None = None,
    product_id: str | int | None = None,
    cart: Cart | None = None,
    category_id: str | int | None = None,
    limit: int = 8,
    min_price: Price = None,
    max_price: Price = None,
    exclude: Iterable[str | int] | None = None,
    fallback: str = STAND_IN,
    segments: Iterable[str] | None = None,
) -> RecommendationList:
    """The list for one placement.

    Args:
        placement: one of PLACEMENTS.
        visitor: a `tracking.identity.Visitor`; personal placements use its history only
            when `visitor.can_personalize`.
        product_id: the product on the page (required for "similar" and "bought_together").
        cart: product ids in the shopper's basket (never recommended back), or a mapping
            of id to quantity so cart completion weighs each line by its value; for
            "post_purchase", the order's products.
        category_id: restrict to this category (required for "category_top").
        limit: how many items (1..100). The list has exactly `limit` items whenever the
            catalog holds that many eligible products; "recently_viewed" only shows what
            was viewed and may be shorter.
        min_price, max_price: optional price band.
        exclude: product ids the page already shows (other widgets): never in this list.
        fallback: what fills the list when the placement's own sources have too little:
            "stand_in" (default: trending, popular, new arrivals, the catalog), "none"
            (the list stays short, possibly empty) or another placement's name. The
            list's `source` says which one actually filled it.
        segments: the shopper's segment slugs, for merchandising rules limited to a
            segment; by default they are asked of the segments app (only when a live rule
            names a segment). The admin's preview passes the segment it shows.

    Raises:
        UnknownPlacement: `placement` is not one of PLACEMENTS.
        UnknownProduct: the adapter does not know `product_id`.
        InvalidRecommendationRequest: a required argument is missing or malformed.
    """
    if fallback not in FALLBACKS:
        raise InvalidRecommendationRequest(
            f"Unknown fallback {fallback!r}; use one of: {', '.join(FALLBACKS)}."
        )
    memo: list[set[str]] = []

    def shopper_segments() -> set[str]:
        if not memo:
            memo.append(set(segments) if segments is not None else registry.segments_of(visitor))
        return memo[0]

    request = _resolve(
        placement,
        visitor,
        product_id,
        cart,
        category_id,
        limit,
        min_price,
        max_price,
        exclude,
        shopper_segments,
    )
    # The shopper's own history is never padded with anything else.
    request.fallback = NO_FALLBACK if placement in HISTORY_ONLY else fallback
    arm = _experiment_arm(visitor, placement)
    if arm is not None and arm.serves_baseline:
        # An experiment's baseline arm: the non-personalized trending/popular list, which
        # says so (source "trending" or a stand-in), whatever the placement.
        seen = [*request.req.cart, *([request.req.product_id] if request.req.product_id else [])]
        baseline = _resolve(
            Placement.TRENDING,
            None,
            None,
            seen,
            None,
            limit,
            min_price,
            max_price,
            exclude,
            shopper_segments,
        )
        return replace(_serve(baseline), placement=placement)
    if arm is not None and arm.model_version:
        # An experiment's challenger arm: another trained model version serves the list.
        request.req.model = arm.model() or request.req.model
    return _serve(request)


def _experiment_arm(visitor: Visitor | None, placement: str) -> Arm | None:
    """The visitor's experiment arm on this placement (`experiments.Arm`), or None."""
    try:
        return assign(visitor, placement)
    except Exception:  # an experiment must never break a storefront page
        logger.exception("Could not assign an experiment arm; serving as usual")
        return None


@dataclass
class _Resolved:
    """A validated request plus its filters, live rules and the products reasons may name."""

    req: ServingRequest
    filters: rules.Filters
    live_rules: list[rules.Rule]
    anchors: dict[str, ProductInfo] = field(default_factory=dict)
    fallback: str = STAND_IN
    kinds: dict[str, str] = field(default_factory=dict)  # product id -> list it came from


def _validate(
    placement: str,
    limit: int,
    pid: str | None,
    category_id: str | None,
    min_price: Price,
    max_price: Price,
) -> tuple[Decimal | None, Decimal | None]:
    """Reject programming errors with a message saying what to pass; returns the price band."""
    if placement not in PLACEMENTS:
        raise UnknownPlacement(
            f"Unknown placement {placement!r}; use one of: {', '.join(PLACEMENTS)}."
        )
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidRecommendationRequest(
            f"limit must be a whole number from 1 to {MAX_LIMIT}, got {limit!r}."
        )
    if placement in NEEDS_PRODUCT and pid is None:
        raise InvalidRecommendationRequest(
            f"The {placement!r} placement needs product_id= (the product on the page)."
        )
    if placement == Placement.CATEGORY_TOP and category_id is None:
        raise InvalidRecommendationRequest(
            "The 'category_top' placement needs category_id= (the category on the page)."
        )
    low = rules.parse_price("min_price", min_price)
    high = rules.parse_price("max_price", max_price)
    if low is not None and high is not None and low > high:
        raise InvalidRecommendationRequest(
            f"min_price ({low}) is above max_price ({high}); swap them or drop one."
        )
    if pid is not None:
        catalog.require_product(pid)
    return low, high


def _resolve(
    placement: str,
    visitor: Visitor | None,
    product_id: str | int | None,
    cart: Cart | None,
    category: str | int | None,
    limit: int,
    min_price: Price,
    max_price: Price,
    exclude: Iterable[str | int] | None = None,
    segments: Callable[[], set[str]] | None = None,
) -> _Resolved:
    pid = str(product_id) if product_id not in (None, "") else None
    category_id = str(category) if category not in (None, "") else None
    low, high = _validate(placement, limit, pid, category_id, min_price, max_price)

    subject = _personal_subject(visitor)
    recent = cache.recent_for(subject, RECENT_ITEMS) if subject else []
    quantities = _quantities(cart)
    cart_ids = list(quantities)
    shown = {str(p) for p in (exclude or ()) if str(p)}
    if subject:
        cart_ids += [str(p) for p in realtime.cart(subject) if str(p) not in cart_ids]
    purchased = _purchased(visitor, subject, recent) if visitor and subject else set()

    live = rules.for_shopper(rules.live_rules(placement), segments or (lambda: set()))
    muted = registry.muted_categories(visitor) if subject else set()
    if placement == Placement.RECENTLY_VIEWED:  # shows history as it is: only exclusions apply
        live = [r for r in live if r.action == "exclude"]
        filters = rules.Filters(
            placement, excluded_ids=shown | ({pid} if pid else set()), rules=live
        )
    else:
        excluded = set(cart_ids) | ({pid} if pid else set()) | shown
        filters = rules.Filters(
            placement,
            excluded_ids=excluded,
            purchased=purchased,
            category_id=category_id,
            min_price=low,
            max_price=high,
            rules=live,
            muted_categories=muted,
        )
    req = ServingRequest(
        placement=placement,
        limit=limit,
        model=_active_model(),
        subject=subject,
        product_id=pid,
        category_id=category_id,
        cart=cart_ids,
        recent=recent,
        purchased=purchased,
        customer_id=(visitor.customer_id or "") if visitor and subject else "",
        visitor_id=visitor.visitor_id if visitor and subject else "",
        accept=filters.allows,
    )
    anchors = catalog.get_products([*recent, *cart_ids, *([pid] if pid else [])])
    req.cart_values = {
        cid: float(anchors[cid].price or 1) * quantities.get(cid, 1) if cid in anchors else 1.0
        for cid in cart_ids
    }
    return _Resolved(req, filters, live, anchors)


def _quantities(cart: Cart | None) -> dict[str, float]:
    """Cart ids (first mention wins the order) with their quantities (1 when not given)."""
    if not cart:
        return {}
    if isinstance(cart, Mapping):
        out: dict[str, float] = {}
        for key, qty in cart.items():
            try:
                out[str(key)] = max(float(qty), 0.0) or 1.0
            except (TypeError, ValueError):
                raise InvalidRecommendationRequest(
                    f"cart quantities must be numbers, got {qty!r} for product {key!r}."
                ) from None
        return out
    if isinstance(cart, str | bytes):
        raise InvalidRecommendationRequest(
            "cart must be a list of product ids (or a mapping of id to quantity), not a string."
        )
    return dict.fromkeys((str(p) for p in cart), 1.0)


def _personal_subject(visitor: Visitor | None) -> str | None:
    """The visitor's subject when their history may be used, else None."""
    if visitor is None or not plugin_settings.ENABLED:
        return None
    if not visitor.can_personalize:
        return None
    return visitor.subject


def _active_model() -> ServingModel | None:
    try:
        from personalization_plugin.engine.registry import get_active_model

        return get_active_model()
    except Exception as exc:  # no engine, no model, broken artifact: serve fallbacks
        realtime.warn_once("model", "No recommendation model available (%s); using fallbacks", exc)
        return None


_purchases: TTLCache[tuple[str, tuple[str, ...]], frozenset[str]] = ErasureAwareTTLCache(
    10_000, 30.0, erasure_generation.current
)


def clear() -> None:
    """Forget cached past purchases (tests; erasure)."""
    _purchases.clear()


def forget(subjects: set[str]) -> int:
    """Drop these subjects' cached past purchases (erasure); returns how many entries."""
    return _purchases.delete_where(lambda key: key[0] in subjects)


def _purchased(visitor: Visitor, subject: str, recent: Sequence[str]) -> set[str]:
    """Products this shopper bought, from stored purchase events.

    Cached per shopper for a few seconds, keyed with their recent items so that a new
    purchase (which the real-time store records at once) is looked up afresh.
    """
    key = (subject, tuple(recent))
    cached = _purchases.get(key)
    if cached is not None:
        return set(cached)
    from personalization_plugin.models import Event

    customer_id = visitor.customer_id
    rows = Event.objects.filter(type="purchase")
    if customer_id:
        rows = rows.filter(customer_id=customer_id)
    else:
        rows = rows.filter(visitor_id=visitor.visitor_id)
    try:
        bought = frozenset(rows.values_list("product_id", flat=True).distinct()[:1000])
    except Exception:
        logger.exception("Could not read past purchases; not excluding them this time")
        return set()
    _purchases.set(key, bought)
    return set(bought)


def _steps(resolved: _Resolved) -> list[tuple[Source, str]]:
    """The sources to walk, each with the name of the list it fills: the placement's
    own chain, then what `fallback` asks for."""
    req = resolved.req
    own = fallbacks.chain_for(req.placement, req.personal)
    steps: list[tuple[Source, str]] = [(source, req.placement) for source in own]
    if resolved.fallback == STAND_IN:
        steps += [
            (source, fallbacks.STAND_IN_KINDS[source])
            for source in fallbacks.STAND_INS
            if source not in own
        ]
    elif resolved.fallback not in (NO_FALLBACK, req.placement):
        steps += [
            (source, resolved.fallback)
            for source in fallbacks.chain_for(resolved.fallback, req.personal)
            if source not in own
        ]
    return steps


def _collect(resolved: _Resolved, target: int) -> list[tuple[Candidate, ProductInfo]]:
    """Walk the sources until `target` eligible, distinct products are found."""
    req = resolved.req
    seen = set(resolved.filters.blocked_ids)
    pool: list[tuple[Candidate, ProductInfo]] = []
    for source, kind in _steps(resolved):
        missing = target - len(pool)
        if source is fallbacks.catalog_fallback or kind != req.placement:
            # Borrowed lists and the costly catalog only fill the list itself, never
            # just give diversity more to choose from.
            missing = req.limit - len(pool)
        if missing <= 0:
            break
        proposed = [
            c for c in source(req, FETCH_FACTOR * missing, seen) if c.product_id not in seen
        ]
        infos = catalog.get_products(c.product_id for c in proposed)
        for cand in proposed:
            info = infos.get(cand.product_id)
            if cand.product_id in seen:
                continue
            seen.add(cand.product_id)
            if info is not None and resolved.filters.allows(info):
                pool.append((cand, info))
                resolved.kinds[cand.product_id] = kind
    return pool


def _serve(resolved: _Resolved) -> RecommendationList:
    req = resolved.req
    if req.placement in AS_RANKED:
        chosen = _collect(resolved, req.limit)[: req.limit]
        if req.placement != Placement.RECENTLY_VIEWED:
            chosen = _with_pins(resolved, chosen)
    else:
        pool = _collect(resolved, POOL_FACTOR * req.limit)
        chosen = _arrange(resolved, pool)
    items = _explain(resolved, chosen)
    used_model = any(c.from_model for c, _ in chosen)
    source = _main_source(resolved, chosen)
    return RecommendationList(
        placement=req.placement,
        model_version=str(req.model.version) if req.model is not None and used_model else "",
        recommendation_id=uuid.uuid4().hex,
        items=items,
        source=source,
        explanation=reasons.explain_list(source, _named_anchors(resolved, source)) if items else "",
    )


def _main_source(resolved: _Resolved, chosen: Sequence[tuple[Candidate, ProductInfo]]) -> str:
    """The list most of the items came from (the first of them on a tie); "" when empty.
    Pinned products are the owner's and do not change what the list is."""
    kinds = [
        resolved.kinds.get(c.product_id, resolved.req.placement)
        for c, _ in chosen
        if c.reason_code != "pinned"
    ]
    if not kinds:
        return resolved.req.placement if chosen else ""
    counts = Counter(kinds)
    best = max(counts.values())
    return next(k for k in kinds if counts[k] == best)


def _named_anchors(resolved: _Resolved, source: str) -> list[str]:
    """Titles of the shopper's own products the list was made from: their recent views
    for a personal list, the page's product, or the cart's (the order's) lines."""
    req = resolved.req
    if source == Placement.FOR_YOU:
        own = req.recent[:3]
    elif source in (Placement.CART, Placement.POST_PURCHASE):
        own = req.cart[:3]
    else:
        own = [req.product_id] if req.product_id else []
    sensitive = reasons.sensitive_categories()
    titles: list[str] = []
    for pid in own:
        info = resolved.anchors.get(pid)
        if info is not None and not reasons.is_sensitive(info, sensitive):
            if info.title not in titles:
                titles.append(info.title)
    return titles


def _arrange(
    resolved: _Resolved, pool: list[tuple[Candidate, ProductInfo]]
) -> list[tuple[Candidate, ProductInfo]]:
    """Boost/bury, diversify, add discovery and pins; exactly `limit` when possible."""
    req = resolved.req
    if not pool:
        return _with_pins(resolved, [])
    infos = [info for _, info in pool]
    relevance = 1.0 - np.arange(len(pool), dtype=float) / len(pool)
    relevance = rules.adjust_relevance(relevance, infos, resolved.live_rules)
    categories = diversity.primary_categories([info.category_ids for info in infos])
    # "similar" is meant to be alike, and a category filter is one category by request.
    one_category = req.category_id is not None or req.placement not in DIVERSIFIED
    order = diversity.rerank(
        relevance,
        categories,
        req.limit,
        mmr_lambda=1.0 if one_category else float(plugin_settings.MMR_LAMBDA),
        max_share=1.0 if one_category else float(plugin_settings.MAX_CATEGORY_SHARE),
        vectors=diversity.item_vectors(req.model, [i.id for i in infos]) if req.model else None,
    )
    chosen = [pool[i] for i in order]
    chosen = _with_discovery(
        resolved, chosen, [p for i, p in enumerate(pool) if i not in set(order)]
    )
    return _with_pins(resolved, chosen)


def _usual_categories(resolved: _Resolved) -> set[str]:
    return {
        c
        for pid in resolved.req.recent
        if pid in resolved.anchors
        for c in resolved.anchors[pid].category_ids
    }


def _with_discovery(
    resolved: _Resolved,
    chosen: list[tuple[Candidate, ProductInfo]],
    spare: list[tuple[Candidate, ProductInfo]],
) -> list[tuple[Candidate, ProductInfo]]:
    """Put one product from outside the shopper's usual categories in every N-th slot."""
    req = resolved.req
    slots = diversity.discovery_positions(req.limit, int(plugin_settings.DISCOVERY_EVERY or 0))
    usual = _usual_categories(resolved)
    if (
        not slots
        or req.placement != Placement.FOR_YOU
        or not req.personal
        or not usual
        or req.category_id
    ):
        return chosen
    taken = {c.product_id for c, _ in chosen}
    outside = [p for p in spare if not usual.intersection(p[1].category_ids)]
    if len(outside) < len(slots):
        outside += _discovery_candidates(
            resolved, usual, taken | {c.product_id for c, _ in outside}, len(slots)
        )
    result = list(chosen)
    fresh = iter(outside)
    for slot in slots:
        if slot < len(result) and not usual.intersection(result[slot][1].category_ids):
            continue  # this slot already holds something different
        pick = next(fresh, None)
        if pick is None:
            break
        cand, info = pick
        result.insert(
            slot, (Candidate(cand.product_id, cand.score, "discovery", "", cand.from_model), info)
        )
    return result[: req.limit]


def _discovery_candidates(
    resolved: _Resolved, usual: set[str], taken: set[str], needed: int
) -> list[tuple[Candidate, ProductInfo]]:
    req = resolved.req
    found: list[tuple[Candidate, ProductInfo]] = []
    blocked = resolved.filters.blocked_ids | taken
    for source in (fallbacks.trending, fallbacks.popular):
        proposed = source(req, 10 * req.limit, blocked)
        infos = catalog.get_products(c.product_id for c in proposed)
        for cand in proposed:
            info = infos.get(cand.product_id)
            if (
                info is None
                or not resolved.filters.allows(info)
                or usual.intersection(info.category_ids)
            ):
                continue
            found.append((cand, info))
            blocked = blocked | {cand.product_id}
            if len(found) >= needed:
                return found
    return found


def _with_pins(
    resolved: _Resolved, chosen: list[tuple[Candidate, ProductInfo]]
) -> list[tuple[Candidate, ProductInfo]]:
    """Move each live pin's product to its position (if it may be shown at all)."""
    pins = rules.pins(resolved.live_rules)
    if not pins:
        return chosen
    infos = catalog.get_products(r.target_id for r in pins)
    result = list(chosen)
    placed: set[str] = set()
    for pin in sorted(pins, key=lambda r: (r.position, r.id)):
        info = infos.get(pin.target_id)
        if info is None or pin.target_id in placed or not resolved.filters.allows(info):
            continue
        result = [p for p in result if p[0].product_id != pin.target_id]
        slot = min(pin.position - 1, len(result))
        result.insert(slot, (Candidate(info.id, 1.0, "pinned"), info))
        placed.add(pin.target_id)
    return result[: resolved.req.limit]


def _dedupe(items: Sequence[tuple[Candidate, ProductInfo]]) -> list[tuple[Candidate, ProductInfo]]:
    seen: set[str] = set()
    out = []
    for cand, info in items:
        if cand.product_id not in seen:
            seen.add(cand.product_id)
            out.append((cand, info))
    return out


def _explain(
    resolved: _Resolved, chosen: Sequence[tuple[Candidate, ProductInfo]]
) -> list[Recommendation]:
    req = resolved.req
    sensitive = reasons.sensitive_categories()
    category_of: dict[str, str] = {}
    for cand, info in chosen:
        if cand.reason_code in ("trending", "popular", "category_top", "discovery"):
            if req.category_id and cand.reason_code != "discovery":
                cid = req.category_id if req.category_id not in sensitive else ""
            elif cand.reason_code in ("trending", "discovery"):
                cid = reasons.nameable_category(info.category_ids, sensitive)
            else:
                cid = ""
            category_of[cand.product_id] = cid
    names = catalog.category_names([c for c in set(category_of.values()) if c])
    items = []
    for position, (cand, info) in enumerate(_dedupe(chosen), start=1):
        text = cand.text or reasons.explain(
            cand.reason_code,
            info,
            anchor=_anchor(resolved, cand, info, sensitive),
            category_name=names.get(category_of.get(cand.product_id, ""), ""),
        )
        items.append(Recommendation(info, cand.score, text, cand.reason_code, position))
    return items


def _anchor(
    resolved: _Resolved, cand: Candidate, info: ProductInfo, sensitive: set[str]
) -> ProductInfo | None:
    """The shopper's own product the reason may name, if any and not sensitive."""
    if cand.reason_code not in ("viewed", "bought_with", "similar", "viewed_with", "bought_next"):
        return None
    if cand.reason_code == "viewed" and cand.anchor not in resolved.anchors:
        return reasons.pick_viewed_anchor(info, resolved.req.recent, resolved.anchors, sensitive)
    anchor = resolved.anchors.get(cand.anchor)
    return None if reasons.is_sensitive(anchor, sensitive) else anchor
