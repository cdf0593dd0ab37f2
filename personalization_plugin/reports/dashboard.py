"""Dashboard and admin-home figures, all read from the daily roll-ups (`rollups`).

Every figure of a page comes from one `rollups.period(days)` call, so they all cover
the same calendar days (the last `days`, today included) and "revenue after a
recommendation click" has one definition everywhere (`rollups.ATTRIBUTION_DAYS`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.apps import apps
from django.db.models import Count, Q
from django.utils import timezone

from personalization_plugin.models import Event, ModelVersion, PrivacyChoice
from personalization_plugin.reports import rollups, store_figures
from personalization_plugin.tracking import dead_letters, drops

logger = logging.getLogger("personalization_plugin.reports")

TRACKED_TYPES = ("view", "cart_add", "purchase", "impression", "click")


def day_range(days: int) -> list[date]:
    today = rollups.today()
    return [today - timedelta(days=k) for k in range(days - 1, -1, -1)]


def events_per_day(
    days: int = 30, figures: rollups.PeriodFigures | None = None
) -> dict[str, dict[date, int]]:
    """Stored events per type and day."""
    return (figures or rollups.period(days)).events


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
        from django.utils.formats import number_format

        return number_format(round(self.ctr * 100, 1), 1) + "%"


def ctr_by_placement(
    days: int = 30, figures: rollups.PeriodFigures | None = None
) -> list[PlacementStats]:
    placements = (figures or rollups.period(days)).placements
    return [PlacementStats(p, imps, clicks) for p, (imps, clicks) in placements.items()]


@dataclass
class RevenueDay:
    day: date
    revenue: float
    attributed: float


def revenue_per_day(
    days: int = 30, figures: rollups.PeriodFigures | None = None
) -> list[RevenueDay]:
    """All order revenue and the part after a recommendation click, per day."""
    figures = figures or rollups.period(days)
    return [RevenueDay(day, *figures.revenue[day]) for day in figures.days]


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
    """Whether data flows, over the chosen period (the same days as every other figure)."""

    days: int
    events_today: int
    events: int  # in the period
    visitors: int  # distinct people active in the period
    recommended_products: int  # distinct products shown in recommendations in the period
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


def data_health(days: int = 7, figures: rollups.PeriodFigures | None = None) -> DataHealth:
    figures = figures or rollups.period(days)
    today = figures.days[-1]
    last = Event.objects.order_by("-occurred_at").values_list("occurred_at", flat=True).first()
    return DataHealth(
        days=len(figures.days),
        events_today=sum(per_day.get(today, 0) for per_day in figures.events.values()),
        events=sum(sum(per_day.values()) for per_day in figures.events.values()),
        visitors=figures.people,
        recommended_products=figures.products_shown,
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


SUMMARY_DAYS = 7


@dataclass
class Summary:
    """The few numbers on the admin home page panel (the last SUMMARY_DAYS days)."""

    days: int
    events: int
    impressions: int
    clicks: int
    attributed_revenue: float
    model: ModelVersion | None
    running_experiments: int
    missing_days: list[date] = field(default_factory=list)
    conversion_rate: float | None = None  # same days and definition as the dashboard's
    average_order_value: float | None = None

    @property
    def ctr(self) -> float:
        return min(self.clicks, self.impressions) / self.impressions if self.impressions else 0.0


def summary(days: int = SUMMARY_DAYS) -> Summary:
    from personalization_plugin.experiments.models import Experiment

    figures = rollups.period(days)
    store = store_figures.overall(figures)
    return Summary(
        days=days,
        events=sum(sum(per_day.values()) for per_day in figures.events.values()),
        impressions=figures.total("impression"),
        clicks=figures.total("click"),
        attributed_revenue=figures.attributed_revenue,
        model=active_model(),
        running_experiments=Experiment.objects.filter(status=Experiment.Status.RUNNING).count(),
        missing_days=figures.missing_days,
        conversion_rate=store.conversion_rate,
        average_order_value=store.average_order_value,
    )
