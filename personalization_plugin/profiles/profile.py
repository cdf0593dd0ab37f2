"""A shopper's profile: everything segment rules need, folded from events once.

Rules never query the database per request. A profile is built from a subject's stored
events the first time it is needed, cached (`segments.store`), and then kept current by
applying each new event (`apply_event`), the same fold the build uses, so a rebuilt
profile and an incrementally updated one agree. The raw form is a small JSON-able dict
with short keys (it lives in Redis); `Profile` wraps it with derived facts.

Days are calendar days in the store's TIME_ZONE (as proleptic ordinals), so "today",
"at most 30 days ago" and "day of week" mean what the shop owner means.
"""

from __future__ import annotations

import statistics
from bisect import insort
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any

from django.utils import timezone

from personalization_plugin.core.events import ACTIVITY_EVENTS

FORMAT = 1
WINDOW_DAYS = 90  # per-day counters older than this are dropped
MAX_DAYS = 400
MAX_PRODUCTS = 200
MAX_CARTED = 500
MAX_SEARCHES = 30
MAX_ORDERS = 200

# Event types a profile is folded from (impressions and clicks are not shopper intent).
PROFILE_TYPES = tuple(str(e) for e in ACTIVITY_EVENTS)
# Stored event columns the fold reads, in this order.
EVENT_FIELDS = (
    "type",
    "product_id",
    "category_id",
    "order_id",
    "query",
    "quantity",
    "price",
    "occurred_at",
)


def empty() -> dict[str, Any]:
    """The raw profile of a shopper with no history."""
    return {
        "f": FORMAT,
        "fs": 0.0,  # first seen (unix time)
        "ls": 0.0,  # last seen
        "d": [],  # active days (sorted ordinals)
        "o": {},  # order id -> [unix time, total]
        "cv": {},  # category id -> {day: category page views}
        "pv": {},  # product id -> [views, last view time]
        "ca": {},  # product id -> last time added to the cart (ever)
        "c": {},  # current cart: product id -> time added
        "ct": 0.0,  # last cart activity
        "s": [],  # recent searches: [query lowercased, unix time]
        "vd": {},  # day -> product views
        "ad": {},  # day -> cart adds
    }


def day_of(ts: float) -> int:
    """The store-local calendar day of a unix time, as a date ordinal."""
    tz = timezone.get_default_timezone()
    return datetime.fromtimestamp(ts, tz).date().toordinal()


def _bump(counter: dict[str, int], day: int) -> None:
    counter[str(day)] = counter.get(str(day), 0) + 1


def _trim_days(counter: dict[str, int], today: int) -> None:
    for stale in [d for d in counter if int(d) < today - WINDOW_DAYS]:
        del counter[stale]


def _keep_newest(mapping: dict[str, Any], limit: int, when: Any) -> None:
    if len(mapping) > limit:
        for stale in sorted(mapping, key=when)[: len(mapping) - limit]:
            del mapping[stale]


def _money(price: Any, quantity: Any) -> float:
    if price in (None, ""):
        return 0.0
    try:
        return float(Decimal(str(price)) * int(quantity or 1))
    except (InvalidOperation, ValueError, TypeError):
        return 0.0


def apply_event(
    raw: dict[str, Any],
    type: str,
    *,
    ts: float,
    product_id: str = "",
    category_id: str = "",
    order_id: str = "",
    query: str = "",
    quantity: int = 1,
    price: Any = None,
) -> dict[str, Any]:
    """Fold one event into a raw profile (in place) and return it."""
    day = day_of(ts)
    newest_before = raw["d"][-1] if raw["d"] else None
    raw["fs"] = min(raw["fs"], ts) if raw["fs"] else ts
    raw["ls"] = max(raw["ls"], ts)
    if day != newest_before and day not in raw["d"]:
        insort(raw["d"], day)
        del raw["d"][:-MAX_DAYS]
    if type == "view" and product_id:
        count, last = raw["pv"].get(product_id, [0, 0.0])
        raw["pv"][product_id] = [count + 1, max(last, ts)]
        _keep_newest(raw["pv"], MAX_PRODUCTS, lambda p: raw["pv"][p][1])
        _bump(raw["vd"], day)
        if category_id:
            _bump(raw["cv"].setdefault(category_id, {}), day)
    elif type == "category_view" and category_id:
        _bump(raw["cv"].setdefault(category_id, {}), day)
    elif type == "search" and query:
        raw["s"] = [*raw["s"], [query.lower()[:200], ts]][-MAX_SEARCHES:]
    elif type == "cart_add" and product_id:
        raw["c"][product_id] = ts
        raw["ca"][product_id] = max(raw["ca"].get(product_id, 0.0), ts)
        _keep_newest(raw["ca"], MAX_CARTED, lambda p: raw["ca"][p])
        raw["ct"] = max(raw["ct"], ts)
        _bump(raw["ad"], day)
    elif type == "cart_remove" and product_id:
        raw["c"].pop(product_id, None)
        raw["ct"] = max(raw["ct"], ts)
    elif type == "purchase" and order_id:
        placed, total = raw["o"].get(order_id, [ts, 0.0])
        raw["o"][order_id] = [min(placed, ts), round(total + _money(price, quantity), 2)]
        _keep_newest(raw["o"], MAX_ORDERS, lambda o: raw["o"][o][0])
        raw["c"] = {}
    if newest_before is None or day > newest_before:  # a new newest day: drop stale counters
        _trim_days(raw["vd"], day)
        _trim_days(raw["ad"], day)
        for counter in raw["cv"].values():
            _trim_days(counter, day)
        raw["cv"] = {c: n for c, n in raw["cv"].items() if n}
    return raw


def view_categories(product_ids: Iterable[str]) -> dict[str, str]:
    """The first category of each product, for product views stored without one (one batched
    adapter call; a store without an adapter simply gets no category views from products)."""
    wanted = [p for p in product_ids if p]
    if not wanted:
        return {}
    try:
        from personalization_plugin.tracking.products import product_categories

        found = product_categories(wanted)
    except Exception:  # a missing adapter must not break membership
        return {}
    return {pid: cats[0] for pid, cats in found.items() if cats}


def fold(rows: Iterable[tuple[Any, ...]]) -> dict[str, Any]:
    """A raw profile from event rows in EVENT_FIELDS order (any order of time)."""
    raw = empty()
    ordered = sorted(rows, key=lambda r: r[7])
    needing = {r[1] for r in ordered if r[0] == "view" and r[1] and not r[2]}
    categories = view_categories(needing)
    for kind, pid, cat, order, query, qty, price, when in ordered:
        if kind == "view" and not cat:
            cat = categories.get(pid, "")
        apply_event(
            raw,
            kind,
            ts=when.timestamp(),
            product_id=pid or "",
            category_id=cat or "",
            order_id=order or "",
            query=query or "",
            quantity=qty or 1,
            price=price,
        )
    return raw


def apply_entry(raw: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """Fold one queued profile event (`tracking.realtime.profile_entry`) into a raw profile."""
    return apply_event(
        raw,
        str(entry.get("t", "")),
        ts=float(entry.get("ts") or 0.0),
        product_id=entry.get("p") or "",
        category_id=entry.get("c") or "",
        order_id=entry.get("o") or "",
        query=entry.get("q") or "",
        quantity=entry.get("n") or 1,
        price=entry.get("m"),
    )


def entry_row(entry: dict[str, Any]) -> tuple[Any, ...]:
    """A queued profile event as an event row in EVENT_FIELDS order (for `fold`)."""
    return (
        str(entry.get("t", "")),
        entry.get("p") or "",
        entry.get("c") or "",
        entry.get("o") or "",
        entry.get("q") or "",
        entry.get("n") or 1,
        entry.get("m"),
        datetime.fromtimestamp(float(entry.get("ts") or 0.0), UTC),
    )


def subject_filter(subject: str) -> dict[str, str]:
    """Event query filter for a subject ("c:<customer id>" or "v:<visitor id>")."""
    kind, _, ident = subject.partition(":")
    if kind == "c" and ident:
        return {"customer_id": ident}
    if kind == "v" and ident:
        return {"visitor_id": ident, "customer_id": ""}
    raise ValueError(f"Not a subject key: {subject!r}; expected 'c:<id>' or 'v:<id>'.")


def build_from_db(
    subject: str,
    types: Iterable[str] | None = None,
    pending: Iterable[dict[str, Any]] = (),
) -> dict[str, Any]:
    """The raw profile of a subject from its stored events (optionally only some types).

    `pending`: the subject's queued profile events (`tracking.realtime.profile_entry`);
    those not stored yet (still in the event buffer) are folded in too, so a profile
    rebuilt while events wait for a flush is complete. Stored ones are told apart by
    their event id, so nothing counts twice.
    """
    from personalization_plugin.models import Event

    wanted = list(types if types is not None else PROFILE_TYPES)
    events = Event.objects.filter(**subject_filter(subject)).filter(type__in=wanted)
    rows = list(events.values_list("event_id", *EVENT_FIELDS))
    stored = {row[0] for row in rows}
    waiting = [entry_row(e) for e in pending if e.get("i") not in stored and e.get("t") in wanted]
    return fold([row[1:] for row in rows] + waiting)


class Profile:
    """Derived facts over a raw profile, computed lazily and at most once per request."""

    def __init__(self, raw: dict[str, Any] | None = None) -> None:
        self.raw = raw if raw is not None else empty()

    @cached_property
    def order_times(self) -> list[float]:
        return sorted(placed for placed, _ in self.raw["o"].values())

    @property
    def order_count(self) -> int:
        return len(self.raw["o"])

    @cached_property
    def spend(self) -> float:
        return float(sum(total for _, total in self.raw["o"].values()))

    @property
    def last_order(self) -> float | None:
        return self.order_times[-1] if self.order_times else None

    @cached_property
    def median_interval_days(self) -> float | None:
        """Median days between consecutive orders (None with fewer than two orders)."""
        times = self.order_times
        if len(times) < 2:
            return None
        return statistics.median((b - a) / 86400.0 for a, b in zip(times, times[1:], strict=False))

    def days_since_last_order(self, now: float) -> float | None:
        return None if self.last_order is None else (now - self.last_order) / 86400.0

    def active_before(self, day: int) -> bool:
        return bool(self.raw["d"]) and self.raw["d"][0] < day

    def active_days_since(self, day: int) -> int:
        return sum(1 for d in self.raw["d"] if d >= day)

    def category_views(self, category_id: str, since_day: int) -> int:
        counter = self.raw["cv"].get(category_id) or {}
        return sum(n for d, n in counter.items() if int(d) >= since_day)

    def day_total(self, key: str, since_day: int) -> int:
        return sum(n for d, n in self.raw[key].items() if int(d) >= since_day)

    def viewed_not_carted(self, min_views: int, since: float) -> list[str]:
        """Products viewed at least `min_views` times (last view after `since`), never carted
        since before the first of those views; most viewed first."""
        carted = self.raw["ca"]
        found = [
            (count, last, pid)
            for pid, (count, last) in self.raw["pv"].items()
            if count >= min_views and last >= since and pid not in carted
        ]
        return [pid for _, _, pid in sorted(found, key=lambda t: (-t[0], -t[1], t[2]))]

    def searched(self, term: str, since: float) -> bool:
        needle = term.lower()
        return any(needle in query for query, ts in self.raw["s"] if ts >= since)

    @property
    def cart(self) -> dict[str, float]:
        return dict(self.raw["c"])

    @property
    def cart_touched(self) -> float:
        return float(self.raw["ct"])
