"""Features of a shopper at a moment, two ways that must agree: vectorised over every
subject from stored events (training, batch), and from one cached profile (per request).

Features (all computed from activity strictly before the cutoff):
    recency      log(1 + days since last order), capped at 365 (365 for non-buyers)
    orders       log(1 + distinct orders)
    spend        log(1 + total spend)
    views_30d    log(1 + product views in the last 30 days)
    carts_30d    log(1 + cart adds in the last 30 days)
    active_30d   days with any activity in the last 30 days
    buyer        1 if the shopper ever ordered
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from personalization_plugin.core import subjects as subject_keys
from personalization_plugin.profiles.profile import Profile

FEATURES = ("recency", "orders", "spend", "views_30d", "carts_30d", "active_30d", "buyer")
RECENCY_CAP_DAYS = 365.0
WINDOW_DAYS = 30
DAY = 86400.0


def from_profile(profile: Profile, now: float, today: int) -> np.ndarray:
    """The feature vector of one cached profile at unix time `now` (store-local day `today`)."""
    since = today - WINDOW_DAYS + 1
    days = profile.days_since_last_order(now)
    recency = RECENCY_CAP_DAYS if days is None else min(max(days, 0.0), RECENCY_CAP_DAYS)
    return np.array(
        [
            math.log1p(recency),
            math.log1p(profile.order_count),
            math.log1p(profile.spend),
            math.log1p(profile.day_total("vd", since)),
            math.log1p(profile.day_total("ad", since)),
            float(profile.active_days_since(since)),
            1.0 if profile.order_count else 0.0,
        ]
    )


@dataclass
class EventArrays:
    """Stored events as parallel arrays (one row per event), subjects as integer codes."""

    subjects: np.ndarray  # object array of subject keys, index = code
    code: np.ndarray  # int per event
    kind: np.ndarray  # str per event
    order: np.ndarray  # str per event
    amount: np.ndarray  # float per event (price x quantity, purchases)
    ts: np.ndarray  # float unix time per event
    day: np.ndarray  # int store-local day ordinal per event
    product: np.ndarray  # str per event
    category: np.ndarray  # str per event
    query: np.ndarray  # str per event (lowercased)

    @classmethod
    def load(cls, until: datetime | None = None) -> EventArrays:
        """Every profile-relevant stored event (before `until`), in one query."""
        from django.utils import timezone

        from personalization_plugin.models import Event
        from personalization_plugin.profiles.profile import PROFILE_TYPES

        rows = Event.objects.filter(type__in=PROFILE_TYPES)
        if until is not None:
            rows = rows.filter(occurred_at__lt=until)
        fields = ("visitor_id", "customer_id", "type", "order_id", "price", "quantity")
        data = list(rows.values_list(*fields, "occurred_at", "product_id", "category_id", "query"))
        if not data:
            none = np.array([], dtype=object)
            return cls(none, np.zeros(0, np.int64), none, none, np.zeros(0), np.zeros(0),
                       np.zeros(0, np.int64), none, none, none)  # fmt: skip
        cols = list(zip(*data, strict=True))
        visitor, customer, kind, order, price, qty, when, product, category, query = cols
        keys = np.array(
            [subject_keys.of(c, v) for v, c in zip(visitor, customer, strict=True)],
            dtype=object,
        )
        subjects, code = np.unique(keys, return_inverse=True)
        ts = np.array([w.timestamp() for w in when])
        tz = timezone.get_default_timezone()
        # Store-local day: shift by the zone's offset at each event (DST-correct).
        offsets = np.array([w.astimezone(tz).utcoffset().total_seconds() for w in when])
        day = np.floor((ts + offsets) / DAY).astype(np.int64) + 719163
        amount = np.array([float(p or 0) for p in price]) * np.array(qty, dtype=np.float64)
        return cls(
            subjects,
            code,
            np.array(kind, dtype=object),
            np.array(order, dtype=object),
            amount,
            ts,
            day,
            np.array(product, dtype=object),
            np.array(category, dtype=object),
            np.array([q.lower() for q in query], dtype=object),
        )


def from_events(events: EventArrays, cutoff: float, cutoff_day: int) -> np.ndarray:
    """Feature matrix (one row per subject in `events.subjects`) at `cutoff`, using events before it."""
    n = len(events.subjects)
    before = events.ts < cutoff
    code, kind, ts, day = (
        events.code[before],
        events.kind[before],
        events.ts[before],
        events.day[before],
    )
    buy = kind == "purchase"
    last_order = np.full(n, -np.inf)
    np.maximum.at(last_order, code[buy], ts[buy])
    pairs = (
        np.unique(
            np.stack([code[buy], np.unique(events.order[before][buy], return_inverse=True)[1]]),
            axis=1,
        )
        if buy.any()
        else np.zeros((2, 0), dtype=np.int64)
    )
    orders = np.bincount(pairs[0], minlength=n).astype(np.float64)
    spend = np.bincount(code[buy], weights=events.amount[before][buy], minlength=n)
    recent = day >= cutoff_day - WINDOW_DAYS + 1
    views = np.bincount(code[recent & (kind == "view")], minlength=n)
    carts = np.bincount(code[recent & (kind == "cart_add")], minlength=n)
    active_pairs = (
        np.unique(np.stack([code[recent], day[recent]]), axis=1)
        if recent.any()
        else np.zeros((2, 0), dtype=np.int64)
    )
    active = np.bincount(active_pairs[0], minlength=n).astype(np.float64)
    days_since = np.where(np.isfinite(last_order), (cutoff - last_order) / DAY, RECENCY_CAP_DAYS)
    recency = np.clip(days_since, 0.0, RECENCY_CAP_DAYS)
    return np.column_stack(
        [
            np.log1p(recency),
            np.log1p(orders),
            np.log1p(np.maximum(spend, 0.0)),
            np.log1p(views),
            np.log1p(carts),
            active,
            (orders > 0).astype(np.float64),
        ]
    )


def seen_before(events: EventArrays, cutoff: float) -> np.ndarray:
    """Boolean per subject: any activity before `cutoff`."""
    mask = np.zeros(len(events.subjects), dtype=bool)
    mask[events.code[events.ts < cutoff]] = True
    return mask


def bought_between(events: EventArrays, start: float, end: float) -> np.ndarray:
    """Boolean per subject: a purchase in [start, end)."""
    mask = np.zeros(len(events.subjects), dtype=bool)
    window = (events.kind == "purchase") & (events.ts >= start) & (events.ts < end)
    mask[events.code[window]] = True
    return mask
