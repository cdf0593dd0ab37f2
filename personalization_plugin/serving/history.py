"""Lists read from stored purchase events: what buyers bought next, and buy-again.

Buy-again reads the shopper's own purchase times and the store's reorder intervals
(median gap of repeat buyers); `engine.reorder` ranks them by how due each product is.

The trained model knows co-occurrence (bought in the same order, viewed in the same
visit) but not sequence, so the order confirmation's "what buyers of these products
came back for" and a shopper's own repurchases are read from the `Event` rows. Both
are cached for a few minutes: they are slow to change and cost a database query.

Shoppers are counted, never named: a product that followed the order's items for
MIN_BUYERS distinct other shoppers qualifies, and the reason only ever names the
shopper's own order item.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime

from django.db import DatabaseError
from django.db.models import Q

from personalization_plugin.core.ttl_cache import ErasureAwareTTLCache, TTLCache
from personalization_plugin.engine.reorder import CatalogIntervals
from personalization_plugin.tracking import erasure_generation

logger = logging.getLogger("personalization_plugin.serving")

HISTORY_TTL = 300.0  # seconds a "bought next" answer is reused
MAX_BUYERS = 2_000  # buyers of the anchors read per question
MAX_LATER_ROWS = 20_000  # their later purchase rows read per question
MIN_BUYERS = 1  # distinct shoppers who must have bought a product next for it to count
MAX_OWN_ROWS = 1_000  # a shopper's newest purchase lines read for buy-again
MAX_CATALOG_ROWS = 20_000  # the store's newest purchase lines its reorder intervals come from
CATALOG_TTL = 3600.0  # seconds the store's reorder intervals are reused

# Erasure-aware: an erasure in any process empties them here too (`erasure_generation`).
_next: TTLCache[tuple[str, ...], tuple[tuple[str, str, float], ...]] = ErasureAwareTTLCache(
    5_000, HISTORY_TTL, erasure_generation.current
)
_again: TTLCache[tuple[str, str], tuple[tuple[str, tuple[float, ...]], ...]] = ErasureAwareTTLCache(
    10_000, 30.0, erasure_generation.current
)
# the store's intervals hold every buyer's gaps: an erased shopper's leave them at once
_catalog: TTLCache[str, CatalogIntervals] = ErasureAwareTTLCache(
    1, CATALOG_TTL, erasure_generation.current
)


def clear() -> None:
    """Forget cached answers (tests; erasure)."""
    _next.clear()
    _again.clear()
    _catalog.clear()


def erase_subjects(subjects: set[str]) -> int:
    """Eraser: forget every cached "bought next" answer and the store's reorder
    intervals (each may count an erased shopper) and the erased shoppers' buy-again
    lists; returns how many were dropped."""
    removed = _next.delete_where(lambda key: True)
    removed += _catalog.delete_where(lambda key: True)
    removed += _again.delete_where(
        lambda key: f"c:{key[0]}" in subjects or f"v:{key[1]}" in subjects
    )
    return removed


def _person(customer_id: str, visitor_id: str) -> str:
    return f"c:{customer_id}" if customer_id else f"v:{visitor_id}"


def bought_next(anchors: Sequence[str], order_id: str = "") -> list[tuple[str, str, float]]:
    """(product, anchor it followed, distinct buyers) best first: what shoppers who
    bought one of `anchors` bought in a later order. [] when the database fails."""
    key = tuple(sorted(set(anchors)))
    if not key:
        return []
    cached = _next.get(key)
    if cached is not None:
        return list(cached)
    try:
        found = _read_bought_next(key)
    except DatabaseError:
        logger.exception("Could not read purchase history; no 'bought next' list this time")
        return []
    _next.set(key, tuple(found))
    return found


def _read_bought_next(anchors: tuple[str, ...]) -> list[tuple[str, str, float]]:
    from personalization_plugin.models import Event

    first: dict[str, tuple[datetime, str]] = {}
    rows = (
        Event.objects.filter(type="purchase", product_id__in=anchors)
        .order_by("occurred_at")
        .values_list("customer_id", "visitor_id", "occurred_at", "product_id")[:MAX_BUYERS]
    )
    for customer_id, visitor_id, at, pid in rows:
        first.setdefault(_person(customer_id, visitor_id), (at, pid))
    if not first:
        return []
    customers = [p[2:] for p in first if p.startswith("c:")]
    visitors = [p[2:] for p in first if p.startswith("v:")]
    since = min(at for at, _ in first.values())
    later = (
        Event.objects.filter(type="purchase", occurred_at__gt=since)
        .filter(Q(customer_id__in=customers) | Q(visitor_id__in=visitors, customer_id=""))
        .exclude(product_id__in=anchors)
        .values_list("customer_id", "visitor_id", "occurred_at", "product_id")[:MAX_LATER_ROWS]
    )
    buyers: dict[str, set[str]] = defaultdict(set)
    anchor_votes: dict[str, Counter[str]] = defaultdict(Counter)
    for customer_id, visitor_id, at, pid in later:
        person = _person(customer_id, visitor_id)
        start = first.get(person)
        if start is None or at <= start[0] or not pid:
            continue
        buyers[pid].add(person)
        anchor_votes[pid][start[1]] += 1
    ranked = sorted(
        (pid for pid, who in buyers.items() if len(who) >= MIN_BUYERS),
        key=lambda pid: (-len(buyers[pid]), pid),
    )
    return [
        (pid, anchor_votes[pid].most_common(1)[0][0], float(len(buyers[pid]))) for pid in ranked
    ]


def purchase_times(customer_id: str, visitor_id: str) -> dict[str, tuple[float, ...]]:
    """product -> unix seconds of each of this shopper's purchases of it (the newest
    MAX_OWN_ROWS purchase lines); {} when the database fails."""
    key = (customer_id, "" if customer_id else visitor_id)
    cached = _again.get(key)
    if cached is not None:
        return dict(cached)
    from personalization_plugin.models import Event

    rows = Event.objects.filter(type="purchase").exclude(product_id="")
    rows = (
        rows.filter(customer_id=customer_id) if customer_id else rows.filter(visitor_id=visitor_id)
    )
    found: dict[str, list[float]] = defaultdict(list)
    try:
        for pid, at in rows.order_by("-occurred_at").values_list("product_id", "occurred_at")[
            :MAX_OWN_ROWS
        ]:
            found[str(pid)].append(at.timestamp())
    except DatabaseError:
        logger.exception("Could not read past purchases; no 'buy again' list this time")
        return {}
    frozen = tuple((pid, tuple(sorted(times))) for pid, times in found.items())
    _again.set(key, frozen)
    return dict(frozen)


def catalog_intervals() -> CatalogIntervals:
    """The store's reorder intervals from its newest MAX_CATALOG_ROWS purchase lines,
    recomputed every CATALOG_TTL seconds (one bounded query per process per hour)."""
    cached = _catalog.get("all")
    if cached is not None:
        return cached
    from personalization_plugin.models import Event

    rows = (
        Event.objects.filter(type="purchase")
        .exclude(product_id="")
        .order_by("-occurred_at")
        .values_list("customer_id", "visitor_id", "product_id", "occurred_at")[:MAX_CATALOG_ROWS]
    )
    try:
        found = CatalogIntervals.from_purchases(
            (_person(c, v), str(pid), at.timestamp()) for c, v, pid, at in rows
        )
    except DatabaseError:
        logger.exception("Could not read the store's purchases; buy-again uses own intervals only")
        return CatalogIntervals()
    _catalog.set("all", found)
    return found
