"""Reorder intervals and "due" ranking for the buy-again placement.

Retail logs are full of reorders (coffee every three weeks, filters every quarter), and
the useful buy-again list is not "what you bought most" but "what you are about to run
out of". Each past purchase is timed by the best interval known for it, in this order:

1. the shopper's own interval for that product (median gap between their purchases);
2. the shopper's own interval for its category (gaps between their purchases of any
   product of that category: someone who buys a different coffee every month still
   reorders coffee monthly);
3. the catalog's interval for that product (median gap of repeat buyers);
4. the catalog's interval over all repeat purchases.

Then `elapsed / interval` says how due it is: a product is hidden while that ratio is
below `min_due` (just bought: the shopper does not need it yet), scores highest when it
is due (ratio 1) and fades, on a log scale, the longer it is overdue (a product last
bought ten intervals ago was most likely replaced by something else). Products with no
interval at all stay visible, after every timed one, in "most often bought" order.

Pure Python over seconds, no Django: `serving.history` feeds it Event rows and
`benchmarks/buy_again.py` feeds it a CSV log, so both rank with the same code.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import median
from typing import Literal

# Two purchases closer than this are one shopping trip (an order split in lines, a
# double click), not a reorder.
MIN_GAP_SECONDS = 3600.0
# Hidden while less than this share of the interval has passed since the last purchase.
MIN_DUE = 0.5
# The store's intervals are used only on enough evidence: a median of two gaps says
# little, and a wrong interval hides products (found on a log with 3 repeat gaps in all).
MIN_ITEM_GAPS = 3  # repeat gaps of one product, across its buyers
MIN_STORE_GAPS = 20  # repeat gaps across the store, for the store-wide interval
# How fast the score fades away from "due", in natural-log units of elapsed/interval.
DUE_WIDTH = 0.9

IntervalSource = Literal["own_item", "own_category", "catalog_item", "catalog", "none"]


def gaps(times: Iterable[float], min_gap: float = MIN_GAP_SECONDS) -> list[float]:
    """The gaps between consecutive purchases, in seconds; purchases closer than
    `min_gap` to the previous one count as the same trip."""
    out: list[float] = []
    last: float | None = None
    for t in sorted(times):
        if last is None:
            last = t
            continue
        if t - last >= min_gap:
            out.append(t - last)
            last = t
    return out


def median_gap(times: Iterable[float], min_gap: float = MIN_GAP_SECONDS) -> float | None:
    found = gaps(times, min_gap)
    return float(median(found)) if found else None


@dataclass(frozen=True)
class CatalogIntervals:
    """The store's reorder intervals, from every repeat buyer: per product (with at
    least MIN_ITEM_GAPS gaps) and overall (the median over every repeat gap, with at
    least MIN_STORE_GAPS). Built from purchases only, never names anyone."""

    by_item: Mapping[str, float] = field(default_factory=dict)
    overall: float | None = None

    @classmethod
    def from_purchases(
        cls,
        rows: Iterable[tuple[str, str, float]],
        min_gap: float = MIN_GAP_SECONDS,
    ) -> CatalogIntervals:
        """`rows` are (person, item, unix seconds) purchases."""
        times: dict[tuple[str, str], list[float]] = defaultdict(list)
        for person, item, at in rows:
            times[(person, item)].append(at)
        per_item: dict[str, list[float]] = defaultdict(list)
        for (_, item), stamps in times.items():
            per_item[item].extend(gaps(stamps, min_gap))
        every = [g for found in per_item.values() for g in found]
        return cls(
            by_item={
                item: float(median(found))
                for item, found in per_item.items()
                if len(found) >= MIN_ITEM_GAPS
            },
            overall=float(median(every)) if len(every) >= MIN_STORE_GAPS else None,
        )


@dataclass(frozen=True)
class Due:
    """One past purchase, ranked: `score` 0 means hidden (not due yet)."""

    item: str
    score: float
    times: int
    last: float
    interval: float | None
    source: IntervalSource

    @property
    def due_at(self) -> float | None:
        return None if self.interval is None else self.last + self.interval


def interval_for(
    item: str,
    group: str,
    own: Mapping[str, Sequence[float]],
    groups: Mapping[str, str],
    catalog: CatalogIntervals,
    min_gap: float = MIN_GAP_SECONDS,
) -> tuple[float | None, IntervalSource]:
    """The best known reorder interval of `item` for this shopper, and where it came from."""
    mine = median_gap(own.get(item, ()), min_gap)
    if mine is not None:
        return mine, "own_item"
    if group:
        same = [t for other, stamps in own.items() if groups.get(other) == group for t in stamps]
        mine = median_gap(same, min_gap)
        if mine is not None:
            return mine, "own_category"
    if item in catalog.by_item:
        return catalog.by_item[item], "catalog_item"
    if catalog.overall is not None:
        return catalog.overall, "catalog"
    return None, "none"


def timing(elapsed: float, interval: float, min_due: float = MIN_DUE) -> float:
    """How due a product is: 0 below `min_due` of its interval, 1 when due, fading on a
    log scale when overdue."""
    ratio = elapsed / interval if interval > 0 else math.inf
    if ratio < min_due:
        return 0.0
    if ratio <= 1.0:
        return ratio
    return math.exp(-(math.log(ratio) ** 2) / (2 * DUE_WIDTH**2))


def rank_due(
    own: Mapping[str, Sequence[float]],
    now: float,
    catalog: CatalogIntervals,
    groups: Mapping[str, str] | None = None,
    *,
    min_due: float = MIN_DUE,
    min_gap: float = MIN_GAP_SECONDS,
) -> list[Due]:
    """The shopper's past purchases (`own`: item -> purchase times), best first: due
    ones by how due they are (ties: the more often bought), then the untimed ones by how
    often bought; products not due yet are left out."""
    groups = groups or {}
    timed: list[Due] = []
    untimed: list[Due] = []
    for item, stamps in own.items():
        if not stamps:
            continue
        last = max(stamps)
        trips = len(gaps(stamps, min_gap)) + 1
        interval, source = interval_for(item, groups.get(item, ""), own, groups, catalog, min_gap)
        if interval is None:
            untimed.append(Due(item, 0.0, trips, last, None, "none"))
            continue
        score = timing(now - last, interval, min_due)
        if score > 0:
            # A little credit for habit: among equally due products, the usual one first.
            timed.append(
                Due(item, score * (1.0 + 0.1 * math.log(trips)), trips, last, interval, source)
            )
    timed.sort(key=lambda d: (-d.score, -d.times, -d.last, d.item))
    untimed.sort(key=lambda d: (-d.times, -d.last, d.item))
    return timed + untimed
