"""Population breakpoints for value rules: RFM quintiles and spend percentiles.

Computed in batch over every customer with an order (`compute()` aggregates in the
database, numpy does the quantiles), stored as a `PopulationStats` row, and read per
process with a short cache: a per-request RFM rule is a few bisections, no query.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Max, Sum
from django.utils import timezone

CACHE_SECONDS = 60.0
QUINTILES = [0.2, 0.4, 0.6, 0.8]
_lock = threading.Lock()
_cached: tuple[float, dict[str, Any]] | None = None


def customer_aggregates() -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Per customer with orders: (orders, spend, last order unix time, customer ids)."""
    from personalization_plugin.models import Event

    line_total = ExpressionWrapper(
        F("price") * F("quantity"), output_field=DecimalField(max_digits=14, decimal_places=2)
    )
    rows = list(
        Event.objects.filter(type="purchase")
        .exclude(customer_id="")
        .values("customer_id")
        .annotate(
            orders=Count("order_id", distinct=True), spend=Sum(line_total), last=Max("occurred_at")
        )
        .values_list("customer_id", "orders", "spend", "last")
    )
    ids = [r[0] for r in rows]
    orders = np.array([r[1] for r in rows], dtype=np.float64)
    spend = np.array([float(r[2] or 0) for r in rows], dtype=np.float64)
    last = np.array([r[3].timestamp() for r in rows], dtype=np.float64)
    return orders, spend, last, ids


def compute(now: float | None = None) -> dict[str, Any]:
    """Breakpoints over the current customers (empty dict when nobody has ordered)."""
    orders, spend, last, _ = customer_aggregates()
    if not len(orders):
        return {}
    now = now if now is not None else time.time()
    recency_days = (now - last) / 86400.0
    return {
        "customers": int(len(orders)),
        "recency_days": np.quantile(recency_days, QUINTILES).round(4).tolist(),
        "frequency": np.quantile(orders, QUINTILES).round(4).tolist(),
        "monetary": np.quantile(spend, QUINTILES).round(4).tolist(),
        "spend_percentiles": np.percentile(spend, np.arange(101)).round(4).tolist(),
    }


def refresh() -> dict[str, Any]:
    """Compute, store and return new breakpoints."""
    from personalization_plugin.segments.models import PopulationStats

    data = compute()
    PopulationStats.objects.create(data=data, computed_at=timezone.now())
    forget()
    return data


def current() -> dict[str, Any]:
    """The latest stored breakpoints ({} before the first batch), cached per process."""
    global _cached
    now = time.monotonic()
    with _lock:
        if _cached and _cached[0] > now:
            return _cached[1]
    from personalization_plugin.segments.models import PopulationStats

    row = PopulationStats.objects.order_by("-computed_at", "-pk").first()
    data = row.data if row else {}
    with _lock:
        _cached = (now + CACHE_SECONDS, data)
    return data


def forget() -> None:
    global _cached
    with _lock:
        _cached = None
