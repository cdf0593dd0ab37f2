"""Dashboard figures: each function is one or two grouped queries over `Event`.

Dates are bucketed in the database (`TruncDate`), so the queries are the same on
SQLite and PostgreSQL and never pull individual events into Python.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.apps import apps
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from personalization_plugin.experiments.attribution import LINE_TOTAL, attributed_purchases
from personalization_plugin.models import Event, ModelVersion, PrivacyChoice
from personalization_plugin.tracking import dead_letters, drops

logger = logging.getLogger("personalization_plugin.reports")

TRACKED_TYPES = ("view", "cart_add", "purchase", "impression", "click")


def _since(days: int):
    return timezone.now() - timedelta(days=days)


def day_range(days: int) -> list[date]:
    today = timezone.now().date()
    return [today - timedelta(days=k) for k in range(days - 1, -1, -1)]


def events_per_day(days: int = 30) -> dict[str, dict[date, int]]:
    """Stored events per type and day."""
    rows = (
        Event.objects.filter(occurred_at__gte=_since(days))
        .annotate(day=TruncDate("occurred_at"))
        .values("type", "day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    series: dict[str, dict[date, int]] = {}
    for row in rows:
        series.setdefault(row["type"], {})[row["day"]] = row["n"]
    return series


@dataclass
class PlacementStats:
    placement: str
    impressions: int
    clicks: int

    @property
    def ctr(self) -> float:
        return min(self.clicks, self.impressions) / self.impressions if self.impressions else 0.0

    @property
    def ctr_percent(self) -> str:
        return f"{self.ctr * 100:.1f}%"


def ctr_by_placement(days: int = 30) -> list[PlacementStats]:
    rows = (
        Event.objects.filter(occurred_at__gte=_since(days), type__in=("impression", "click"))
        .exclude(placement="")
        .values("placement")
        .annotate(
            impressions=Count("pk", filter=Q(type="impression")),
            clicks=Count("pk", filter=Q(type="click")),
        )
        .order_by("placement")
    )
    return [PlacementStats(r["placement"], r["impressions"], r["clicks"]) for r in rows]


@dataclass
class RevenueDay:
    day: date
    revenue: float
    attributed: float


def revenue_per_day(days: int = 30, window_days: int = 7) -> list[RevenueDay]:
    """All order revenue and the part attributed to recommendation clicks, per day."""
    since = _since(days)
    total = (
        Event.objects.filter(type="purchase", occurred_at__gte=since)
        .annotate(day=TruncDate("occurred_at"))
        .values("day")
        .annotate(revenue=Sum(LINE_TOTAL))
        .order_by()
    )
    attributed = (
        attributed_purchases(window_days=window_days, since=since)
        .annotate(day=TruncDate("occurred_at"))
        .values("day")
        .annotate(revenue=Sum(LINE_TOTAL))
        .order_by()
    )
    by_day = {r["day"]: float(r["revenue"] or 0) for r in total}
    attributed_by_day = {r["day"]: float(r["revenue"] or 0) for r in attributed}
    return [
        RevenueDay(day, by_day.get(day, 0.0), attributed_by_day.get(day, 0.0))
        for day in day_range(days)
    ]


@dataclass
class ConsentStats:
    granted: int
    denied: int

    @property
    def rate(self) -> float | None:
        """Share of recorded choices that are "granted" (None before any choice)."""
        total = self.granted + self.denied
        return self.granted / total if total else None


def consent() -> ConsentStats:
    counts = PrivacyChoice.objects.aggregate(
        granted=Count("pk", filter=Q(consent="granted")),
        denied=Count("pk", filter=Q(consent="denied")),
    )
    return ConsentStats(counts["granted"], counts["denied"])


@dataclass
class DataHealth:
    events_today: int
    events_7d: int
    visitors_7d: int
    recommended_products: int  # distinct products shown in recommendations, last 30 days
    catalog_size: int | None  # None when the adapter could not be read
    last_event_at: Any = None
    dead_letters: int = 0  # events the database refused, kept aside (tracking.dead_letters)
    dropped_30d: dict[str, int] = field(default_factory=dict)  # intake drops per reason

    @property
    def coverage(self) -> float | None:
        if not self.catalog_size:
            return None
        return min(1.0, self.recommended_products / self.catalog_size)


CATALOG_SIZE_SECONDS = 300.0
_catalog_count: tuple[float, int | None] = (float("-inf"), None)


def _catalog_size() -> int | None:
    """Available products in the store, counted through the adapter (cached 5 minutes:
    it reads the whole catalog)."""
    import time

    global _catalog_count
    counted_at, count = _catalog_count
    if time.monotonic() - counted_at < CATALOG_SIZE_SECONDS:
        return count
    from personalization_plugin.adapters import get_adapter

    try:
        count = sum(sum(1 for p in batch if p.available) for batch in get_adapter().iter_products())
    except Exception:
        logger.exception("Could not count the catalog for the dashboard")
        return None
    _catalog_count = (time.monotonic(), count)
    return count


def forget() -> None:
    global _catalog_count
    _catalog_count = (float("-inf"), None)


def data_health() -> DataHealth:
    now = timezone.now()
    week = Event.objects.filter(occurred_at__gte=now - timedelta(days=7))
    counts = week.aggregate(
        events=Count("pk"),
        today=Count("pk", filter=Q(occurred_at__gte=now - timedelta(days=1))),
        visitors=Count("visitor_id", distinct=True),
    )
    shown = (
        Event.objects.filter(type="impression", occurred_at__gte=now - timedelta(days=30))
        .values("product_id")
        .distinct()
        .count()
    )
    last = Event.objects.order_by("-occurred_at").values_list("occurred_at", flat=True).first()
    return DataHealth(
        events_today=counts["today"],
        events_7d=counts["events"],
        visitors_7d=counts["visitors"],
        recommended_products=shown,
        catalog_size=_catalog_size(),
        last_event_at=last,
        dead_letters=dead_letters.count(),
        dropped_30d=drops.totals(days=30),
    )


@dataclass
class SegmentSizes:
    available: bool  # False when the segments module is not installed
    latest: list[tuple[str, int]] = field(default_factory=list)  # name, size on the newest day
    history: dict[str, dict[date, int]] = field(default_factory=dict)


def segment_sizes(days: int = 30) -> SegmentSizes:
    """Sizes from the segments module's daily history, if it is there."""
    try:
        size_model = apps.get_model("personalization_segments", "SegmentSize")
    except LookupError:
        return SegmentSizes(available=False)
    rows = (
        size_model.objects.filter(date__gte=timezone.now().date() - timedelta(days=days))
        .values_list("segment__name", "date", "size")
        .order_by("date")
    )
    history: dict[str, dict[date, int]] = {}
    for name, day, size in rows:
        history.setdefault(str(name), {})[day] = size
    latest = sorted(
        ((name, sizes[max(sizes)]) for name, sizes in history.items()), key=lambda p: -p[1]
    )
    return SegmentSizes(available=True, latest=latest, history=history)


def active_model() -> ModelVersion | None:
    return ModelVersion.objects.filter(is_active=True).first()


@dataclass
class Summary:
    """The few numbers on the admin home page panel."""

    events_7d: int
    impressions_7d: int
    clicks_7d: int
    attributed_revenue_7d: float
    model: ModelVersion | None
    running_experiments: int

    @property
    def ctr_7d(self) -> float:
        return (
            min(self.clicks_7d, self.impressions_7d) / self.impressions_7d
            if self.impressions_7d
            else 0.0
        )


def summary() -> Summary:
    from personalization_plugin.experiments.models import Experiment

    since = _since(7)
    counts = Event.objects.filter(occurred_at__gte=since).aggregate(
        events=Count("pk"),
        impressions=Count("pk", filter=Q(type="impression")),
        clicks=Count("pk", filter=Q(type="click")),
    )
    attributed = attributed_purchases(window_days=7, since=since).aggregate(r=Sum(LINE_TOTAL))["r"]
    return Summary(
        events_7d=counts["events"],
        impressions_7d=counts["impressions"],
        clicks_7d=counts["clicks"],
        attributed_revenue_7d=float(attributed or 0),
        model=active_model(),
        running_experiments=Experiment.objects.filter(status=Experiment.Status.RUNNING).count(),
    )
