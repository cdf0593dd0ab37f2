"""Daily roll-ups: the report pages read a few hundred summary rows, not the events.

Every closed day (before today, in the site's time zone) is summarised once into
`DailyRollup` (events per type and placement, orders, revenue, revenue after a
recommendation click), `DailyActivity` (one digest per active person) and `DailyShown`
(impressions per product). `refresh()` recomputes only the days that changed since the
last run: days with events stored after it, plus the ATTRIBUTION_DAYS after each (a late
click changes what later orders count as attributed). It is run by
`manage.py personalization_rollup` (hourly from cron, or after imports).

Today is never rolled up: `compute(today)` runs the very same aggregation live on
today's events only, so a page is current to the minute and still cheap. A page that
finds closed days not rolled up yet says so instead of showing zeros silently.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.utils import timezone

from personalization_plugin.core import subjects
from personalization_plugin.experiments import bucketing
from personalization_plugin.experiments.attribution import LINE_TOTAL, attributed_by_person
from personalization_plugin.experiments.models import (
    DailyActivity,
    DailyProduct,
    DailyRollup,
    DailySearch,
    DailyShown,
    Experiment,
    RollupDay,
)
from personalization_plugin.models import Event

logger = logging.getLogger("personalization_plugin.reports")

ATTRIBUTION_DAYS = 7  # "revenue after a recommendation click": the click at most 7 days before
ZERO = Decimal("0")


def today() -> date:
    return timezone.localdate()


def bounds(day: date) -> tuple[datetime, datetime]:
    """The first instant of `day` and of the next day, in the site's time zone."""
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(day, time.min), tz)
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min), tz)


def person_digest(visitor_id: str, customer_id: str) -> str:
    return subjects.digest(subjects.of(customer_id, visitor_id), purpose="rollup")


@dataclass
class DayFigures:
    """One day's summary rows (unsaved) and the sets that distinct counts need."""

    day: date
    rows: list[DailyRollup] = field(default_factory=list)
    people: set[str] = field(default_factory=set)
    shown: dict[str, int] = field(default_factory=dict)
    activity: dict[str, DailyActivity] = field(default_factory=dict)  # person digest -> row
    searches: dict[str, DailySearch] = field(default_factory=dict)  # normalised query -> row
    products: dict[str, DailyProduct] = field(default_factory=dict)


def normalise_query(text: str) -> str:
    """Search text as reported: case and repeated spaces do not make a new query."""
    return " ".join(text.split()).lower()[:200]


def held_out_experiments(day: date) -> list[tuple[int, float, bool]]:
    """Experiments that served someone the non-personalized baseline on `day`:
    (id, holdout percent, True when the baseline is the control arm)."""
    start, end = bounds(day)
    rows = (
        Experiment.objects.filter(started_at__lt=end)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=start))
        .exclude(status=Experiment.Status.DRAFT)
        .filter(
            Q(control_strategy=Experiment.Strategy.BASELINE)
            | Q(treatment_strategy=Experiment.Strategy.BASELINE)
        )
    )
    return [
        (e.pk, float(e.holdout_percent), e.control_strategy == Experiment.Strategy.BASELINE)
        for e in rows
    ]


def _activity(day: date, events: QuerySet) -> dict[str, DailyActivity]:
    """One row per person active on `day`: funnel steps, orders, units, revenue, and
    whether an experiment held them out of personalization (same arms as served)."""
    per_pair = list(
        events.values("visitor_id", "customer_id")
        .annotate(
            views=Count("pk", filter=Q(type="view")),
            cart_adds=Count("pk", filter=Q(type="cart_add")),
            checkouts=Count("pk", filter=Q(type="checkout")),
            orders=Count("order_id", distinct=True, filter=Q(type="purchase")),
            units=Sum("quantity", filter=Q(type="purchase")),
            revenue=Sum(LINE_TOTAL, filter=Q(type="purchase")),
        )
        .order_by()
    )
    held = [False] * len(per_pair)
    keys = [bucketing.person_key(r["visitor_id"], r["customer_id"]) for r in per_pair]
    for experiment_id, holdout, baseline_is_control in held_out_experiments(day):
        in_control = bucketing.arms_for(experiment_id, keys, holdout)
        for i, control in enumerate(in_control):
            held[i] = held[i] or bool(control) == baseline_is_control
    rows: dict[str, DailyActivity] = {}
    for r, is_held in zip(per_pair, held, strict=True):
        person = person_digest(r["visitor_id"], r["customer_id"])
        row = rows.get(person)
        if row is None:
            row = rows[person] = DailyActivity(day=day, person=person, revenue=ZERO)
        row.views += r["views"]
        row.cart_adds += r["cart_adds"]
        row.checkouts += r["checkouts"]
        row.orders += r["orders"]
        row.units += r["units"] or 0
        row.revenue += r["revenue"] or ZERO
        row.held_out = row.held_out or is_held
    return rows


def _searches(day: date, events: QuerySet) -> dict[str, DailySearch]:
    """Searches per normalised query; "no results" when the search event's payload
    says `"results": 0` (what the store's search view reports)."""
    rows: dict[str, DailySearch] = {}
    counts = (
        events.filter(type="search")
        .values("query")
        .annotate(n=Count("pk"), empty=Count("pk", filter=Q(payload__results=0)))
        .order_by()
    )
    for r in counts:
        query = normalise_query(r["query"])
        if not query:
            continue
        row = rows.setdefault(query, DailySearch(day=day, query=query))
        row.searches += r["n"]
        row.no_results += r["empty"]
    return rows


def _products(day: date, events: QuerySet) -> dict[str, DailyProduct]:
    counts = (
        events.filter(type__in=("view", "purchase"))
        .exclude(product_id="")
        .values("product_id")
        .annotate(
            views=Count("pk", filter=Q(type="view")),
            lines=Count("pk", filter=Q(type="purchase")),
            units=Sum("quantity", filter=Q(type="purchase")),
        )
        .order_by()
    )
    return {
        r["product_id"]: DailyProduct(
            day=day,
            product_id=r["product_id"],
            views=r["views"],
            order_lines=r["lines"],
            units=r["units"] or 0,
        )
        for r in counts
    }


def compute(day: date) -> DayFigures:
    """Aggregate one day's events (grouped queries; no event reaches Python one by one
    except the distinct person ids, which are digested at once)."""
    start, end = bounds(day)
    events = Event.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
    figures = DayFigures(day)
    counts = events.values("type", "placement").annotate(n=Count("pk")).order_by()
    by_key: dict[tuple[str, str], DailyRollup] = {}
    for row in counts:
        # Placements matter for recommendation events only; the rest are store-wide.
        placement = row["placement"] if row["type"] in ("impression", "click") else ""
        key = (row["type"], placement)
        rollup = by_key.setdefault(key, DailyRollup(day=day, type=key[0], placement=key[1]))
        rollup.events += row["n"]
    purchases = events.filter(type="purchase").aggregate(
        orders=Count("order_id", distinct=True), revenue=Sum(LINE_TOTAL)
    )
    attributed = sum(
        attributed_by_person(window_days=ATTRIBUTION_DAYS, since=start, until=end).values()
    )
    if ("purchase", "") in by_key:
        rollup = by_key[("purchase", "")]
        rollup.orders = purchases["orders"] or 0
        rollup.revenue = purchases["revenue"] or ZERO
        rollup.attributed_revenue = Decimal(str(round(attributed, 2)))
    figures.rows = list(by_key.values())
    figures.activity = _activity(day, events)
    figures.people = set(figures.activity)
    figures.searches = _searches(day, events)
    figures.products = _products(day, events)
    figures.shown = dict(
        events.filter(type="impression")
        .values("product_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("product_id", "n")
    )
    return figures


def refresh_day(day: date, started: datetime | None = None) -> None:
    """Replace the roll-up rows of one closed day (atomic: readers see old or new)."""
    figures = compute(day)
    with transaction.atomic():
        DailyRollup.objects.filter(day=day).delete()
        DailyActivity.objects.filter(day=day).delete()
        DailyShown.objects.filter(day=day).delete()
        DailySearch.objects.filter(day=day).delete()
        DailyProduct.objects.filter(day=day).delete()
        DailyRollup.objects.bulk_create(figures.rows)
        DailyActivity.objects.bulk_create(figures.activity.values(), batch_size=2000)
        DailySearch.objects.bulk_create(figures.searches.values(), batch_size=2000)
        DailyProduct.objects.bulk_create(figures.products.values(), batch_size=2000)
        DailyShown.objects.bulk_create(
            [DailyShown(day=day, product_id=p, impressions=n) for p, n in figures.shown.items()],
            batch_size=5000,
        )
        RollupDay.objects.update_or_create(
            day=day, defaults={"refreshed_at": started or timezone.now()}
        )


def stale_days(now: datetime | None = None) -> list[date]:
    """Closed days whose roll-up is missing or older than events stored for them."""
    now = now or timezone.now()
    last_closed = timezone.localdate(now) - timedelta(days=1)
    first = Event.objects.aggregate(first=Min("occurred_at"))["first"]
    if first is None:
        return []
    done = set(RollupDay.objects.values_list("day", flat=True))
    day, wanted = timezone.localdate(first), set()
    while day <= last_closed:
        if day not in done:
            wanted.add(day)
        day += timedelta(days=1)
    watermark = RollupDay.objects.aggregate(w=Max("refreshed_at"))["w"]
    if watermark is not None:
        changed = Event.objects.filter(stored_at__gte=watermark).dates("occurred_at", "day")
        for touched in changed:
            for k in range(ATTRIBUTION_DAYS + 1):
                if touched + timedelta(days=k) <= last_closed:
                    wanted.add(touched + timedelta(days=k))
    return sorted(wanted)


def refresh(now: datetime | None = None) -> list[date]:
    """Roll up every stale closed day; returns the days refreshed. Safe to run often."""
    started = timezone.now()
    days = stale_days(now)
    for day in days:
        refresh_day(day, started)
    if days:
        logger.info("Rolled up %d day(s), %s to %s.", len(days), days[0], days[-1])
    return days


def forget(days: list[date] | None = None) -> None:
    """Drop roll-ups (of `days`, or all) so the next refresh recomputes them, e.g.
    after events were erased or re-imported."""
    for model in (RollupDay, DailyRollup, DailyActivity, DailyShown, DailySearch, DailyProduct):
        rows = model.objects.all() if days is None else model.objects.filter(day__in=days)
        rows.delete()


def erase_subjects(subject_keys: set[str]) -> int:
    """Eraser: an erased shopper's per-person roll-up rows (`DailyActivity`, under the
    current and every older hash key) are deleted, and every roll-up of the days they
    were active is dropped, so the next refresh recomputes those days from events that
    no longer hold them: no aggregate (searches, product views, revenue) keeps their
    contribution. Until then those days are missing from the figures, never wrong.
    Returns how many per-person rows went."""
    people = {d for s in subject_keys for d in subjects.digests(s, purpose="rollup")}
    if not people:
        return 0
    rows = DailyActivity.objects.filter(person__in=people)
    days = sorted(set(rows.values_list("day", flat=True)))
    erased = rows.count()
    if days:
        forget(days)
        _past_counts.clear()
    return erased


# Distinct counts over closed days change only when a roll-up is refreshed: cached per
# process by (model, first day, last closed day, newest refresh).
_past_counts: dict[tuple, int] = {}


def _distinct_union(past: QuerySet, column: str, today: set[str], key: tuple) -> int:
    """|distinct values of `column` in `past` ∪ today|, counted in the database: the past
    distinct count (cached until the next refresh) plus today's values that the past does
    not have (checked through the (person, day) index in chunks that fit any database's
    parameter limit; no id list is fetched whole)."""
    if key not in _past_counts:
        if len(_past_counts) > 64:
            _past_counts.clear()
        _past_counts[key] = past.values(column).distinct().count()
    count = _past_counts[key]
    seen = 0
    values = list(today)
    for k in range(0, len(values), 900):
        chunk = values[k : k + 900]
        seen += past.filter(**{f"{column}__in": chunk}).values(column).distinct().count()
    return count + len(values) - seen


@dataclass
class PeriodFigures:
    """Everything the report pages show for the last `days` days (today included)."""

    days: list[date]
    events: dict[str, dict[date, int]]  # type -> day -> count
    placements: dict[str, tuple[int, int]]  # placement -> (impressions, clicks)
    revenue: dict[date, tuple[float, float]]  # day -> (all, after a recommendation click)
    orders: int
    people: int  # distinct persons active in the period
    products_shown: int  # distinct products recommended in the period
    missing_days: list[date]  # closed days not rolled up yet (their figures are absent)
    live: DayFigures | None = None  # today's live figures, when today is in the period

    @property
    def first(self) -> date:
        return self.days[0]

    @property
    def last(self) -> date:
        return self.days[-1]

    def total(self, type: str) -> int:
        return sum(self.events.get(type, {}).values())

    @property
    def total_revenue(self) -> float:
        return sum(r for r, _ in self.revenue.values())

    @property
    def attributed_revenue(self) -> float:
        return sum(a for _, a in self.revenue.values())


def period(days: int) -> PeriodFigures:
    """The last `days` calendar days: closed days from the roll-ups, today live."""
    now_day = today()
    return between(now_day - timedelta(days=days - 1), now_day)


def day_span(first: date, last: date) -> list[date]:
    return [first + timedelta(days=k) for k in range((last - first).days + 1)]


def watermark() -> tuple[datetime | None, int]:
    """When the newest roll-up was written, and how many days are rolled up: caches of
    past figures are keyed by it (a refresh or a `forget` changes it)."""
    row = RollupDay.objects.aggregate(w=Max("refreshed_at"), n=Count("pk"))
    return row["w"], row["n"]


def between(first: date, last: date) -> PeriodFigures:
    """The calendar days `first`..`last` (at most today): closed days from the roll-ups,
    today (when included) computed live from today's events only."""
    now_day = today()
    last = min(last, now_day)
    day_list = day_span(first, last)
    closed_end = min(last + timedelta(days=1), now_day)  # exclusive end of the closed days
    events: dict[str, dict[date, int]] = defaultdict(dict)
    placements: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    revenue: dict[date, tuple[float, float]] = {d: (0.0, 0.0) for d in day_list}
    orders = 0

    def add(rows: Iterable[DailyRollup]) -> None:
        nonlocal orders
        for r in rows:
            events[r.type][r.day] = events[r.type].get(r.day, 0) + r.events
            if r.type in ("impression", "click") and r.placement:
                placements[r.placement][0 if r.type == "impression" else 1] += r.events
            if r.type == "purchase":
                orders += r.orders
                rev, attr = revenue[r.day]
                revenue[r.day] = (rev + float(r.revenue), attr + float(r.attributed_revenue))

    add(DailyRollup.objects.filter(day__gte=first, day__lt=closed_end))
    live = compute(now_day) if last == now_day else DayFigures(now_day)
    add(live.rows)
    version = (first, closed_end, watermark())
    past_people = DailyActivity.objects.filter(day__gte=first, day__lt=closed_end)
    past_shown = DailyShown.objects.filter(day__gte=first, day__lt=closed_end)
    done = set(
        RollupDay.objects.filter(day__gte=first, day__lt=closed_end).values_list("day", flat=True)
    )
    first_event = Event.objects.aggregate(first=Min("occurred_at"))["first"]
    since = timezone.localdate(first_event) if first_event else now_day
    missing = [d for d in day_list if d < now_day and d >= since and d not in done]
    return PeriodFigures(
        days=day_list,
        events=dict(events),
        placements={p: (v[0], v[1]) for p, v in sorted(placements.items())},
        revenue=revenue,
        orders=orders,
        people=_distinct_union(past_people, "person", live.people, ("people", *version)),
        products_shown=_distinct_union(
            past_shown, "product_id", set(live.shown), ("shown", *version)
        ),
        missing_days=missing,
        live=live,
    )
