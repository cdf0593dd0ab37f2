"""Store-wide figures for one period, read from the daily roll-ups (never the events).

Every figure here covers the days of one `rollups.PeriodFigures` (the period the owner
chose), so the headline and every table agree. Closed days come from the roll-up rows
(`DailyActivity`, `DailySearch`, `DailyProduct`); their aggregates are cached per
process until the next roll-up refresh. Today, when in the period, is added from the
live `rollups.compute(today)` that the page already made: per person, exactly (a
person active earlier in the period and today is still one visitor).

Definitions (docs/admin.md has the caveats):
- visitor: a person (customer when signed in, else the anonymous visitor) with an event;
- conversion rate: visitors with an order / visitors;
- average order value: order revenue / orders; units per order: units / orders;
- repeat-purchase rate: buyers with two or more orders in the period / buyers;
- funnel: visitors who viewed a product, added to cart, started checkout, ordered;
- personalized vs held out: held out = in the baseline arm of an experiment that ran
  that day (on any day of the period); everyone else was served personalized lists.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.db.models import Sum

from personalization_plugin.experiments.models import DailyActivity, DailyProduct, DailySearch
from personalization_plugin.reports import customer_value, rollups

GROUPS = ("all", "personalized", "held_out")
TOP = 10  # rows of the search and product tables
MIN_VIEWS = 10  # "most viewed, rarely bought" ignores products seen fewer times
RARELY = 0.5  # ... and keeps those bought at under half the store's lines per view
CLV_HORIZON_DAYS = 365  # predicted value: the next twelve months
HOLDOUT_DAYS = 30  # the model's error: fitted without the last 30 days, checked on them
CHUNK = 500  # person digests per IN (...) query (any database's parameter limit)


@dataclass
class GroupFigures:
    """The per-person counts of one group of visitors over the period."""

    visitors: int = 0
    viewed: int = 0
    carted: int = 0
    checked_out: int = 0
    buyers: int = 0
    repeat_buyers: int = 0
    orders: int = 0
    units: int = 0
    revenue: float = 0.0

    def add(self, state: tuple, sign: int) -> None:
        _, viewed, carted, checked, orders, units, revenue = state
        self.visitors += sign
        self.viewed += sign * viewed
        self.carted += sign * carted
        self.checked_out += sign * checked
        self.buyers += sign * (orders > 0)
        self.repeat_buyers += sign * (orders >= 2)
        self.orders += sign * orders
        self.units += sign * units
        self.revenue += sign * revenue

    def __add__(self, other: GroupFigures) -> GroupFigures:
        return GroupFigures(
            *(getattr(self, f) + getattr(other, f) for f in self.__dataclass_fields__)
        )

    @property
    def conversion_rate(self) -> float | None:
        return self.buyers / self.visitors if self.visitors else None

    @property
    def average_order_value(self) -> float | None:
        return self.revenue / self.orders if self.orders else None

    @property
    def units_per_order(self) -> float | None:
        return self.units / self.orders if self.orders else None

    @property
    def repeat_rate(self) -> float | None:
        return self.repeat_buyers / self.buyers if self.buyers else None

    @property
    def funnel(self) -> list[tuple[str, int, float | None]]:
        """(step, visitors who reached it, share of the previous step)."""
        steps = [
            ("view", self.viewed),
            ("cart", self.carted),
            ("checkout", self.checked_out),
            ("order", self.buyers),
        ]
        out: list[tuple[str, int, float | None]] = []
        previous = 0
        for name, n in steps:
            out.append((name, n, n / previous if previous else None))
            previous = n
        return out


@dataclass
class Cohort:
    month: date  # first day of the month of the customers' first order
    customers: int
    retained: list[float]  # share who ordered in month +0, +1, ... (up to the period end)


@dataclass
class Query:
    query: str
    searches: int
    no_results: int


@dataclass
class Product:
    product_id: str
    views: int
    order_lines: int
    units: int

    @property
    def lines_per_view(self) -> float:
        return self.order_lines / self.views if self.views else 0.0


@dataclass
class Value:
    """Customer lifetime value: historical (revenue so far) and predicted (next year)."""

    customers: int  # who ordered in the period
    historical: float | None  # mean revenue per such customer, first order to period end
    predicted: float | None  # mean predicted revenue in the next CLV_HORIZON_DAYS
    holdout: customer_value.Holdout | None
    fitted_until: date | None  # the model sees closed days up to here


@dataclass
class StoreFigures:
    first: date
    last: date
    groups: dict[str, GroupFigures]
    cohorts: list[Cohort]
    churn_base: int  # buyers of the previous period of the same length
    churned: int  # ... who did not order in this one
    value: Value
    top_searches: list[Query]
    no_result_searches: list[Query]
    viewed_not_bought: list[Product]
    store_lines_per_view: float | None
    missing_days: list[date] = field(default_factory=list)

    @property
    def overall(self) -> GroupFigures:
        return self.groups["all"]

    @property
    def churn_rate(self) -> float | None:
        return self.churned / self.churn_base if self.churn_base else None

    @property
    def cohort_width(self) -> int:
        return max((len(c.retained) for c in self.cohorts), default=0)


# --- per-person aggregates --------------------------------------------------------------

_PERSON_SQL = """
SELECT person,
       MAX(CASE WHEN held_out THEN 1 ELSE 0 END),
       MAX(CASE WHEN views > 0 THEN 1 ELSE 0 END),
       MAX(CASE WHEN cart_adds > 0 THEN 1 ELSE 0 END),
       MAX(CASE WHEN checkouts > 0 THEN 1 ELSE 0 END),
       SUM(orders), SUM(units), SUM(revenue)
FROM {table} WHERE day >= %s AND day < %s {extra} GROUP BY person
"""

_GROUP_SQL = """
SELECT h, COUNT(*), SUM(v), SUM(c), SUM(k),
       SUM(CASE WHEN o > 0 THEN 1 ELSE 0 END), SUM(CASE WHEN o >= 2 THEN 1 ELSE 0 END),
       SUM(o), SUM(u), SUM(r)
FROM (
  SELECT MAX(CASE WHEN held_out THEN 1 ELSE 0 END) AS h,
         MAX(CASE WHEN views > 0 THEN 1 ELSE 0 END) AS v,
         MAX(CASE WHEN cart_adds > 0 THEN 1 ELSE 0 END) AS c,
         MAX(CASE WHEN checkouts > 0 THEN 1 ELSE 0 END) AS k,
         SUM(orders) AS o, SUM(units) AS u, SUM(revenue) AS r
  FROM {table} WHERE day >= %s AND day < %s GROUP BY person
) per_person GROUP BY h
"""

_cache: dict[tuple, Any] = {}


def _cached(key: tuple, make: Any) -> Any:
    """Past aggregates change only when a roll-up is refreshed (the key holds the
    refresh watermark), so each is computed once per process and refresh."""
    if key not in _cache:
        if len(_cache) > 64:
            _cache.clear()
        _cache[key] = make()
    return _cache[key]


def forget() -> None:
    _cache.clear()


def _past_groups(first: date, end: date) -> dict[bool, GroupFigures]:
    table = DailyActivity._meta.db_table
    out = {False: GroupFigures(), True: GroupFigures()}
    with connection.cursor() as cursor:
        cursor.execute(_GROUP_SQL.format(table=table), [first, end])
        for h, n, v, c, k, buyers, repeat, o, u, r in cursor.fetchall():
            out[bool(h)] += GroupFigures(
                int(n),
                int(v or 0),
                int(c or 0),
                int(k or 0),
                int(buyers or 0),
                int(repeat or 0),
                int(o or 0),
                int(u or 0),
                float(r or 0),
            )
    return out


def _past_states(first: date, end: date, people: list[str]) -> dict[str, tuple]:
    """The period-so-far state of each of these people (those active before today)."""
    table = DailyActivity._meta.db_table
    states: dict[str, tuple] = {}
    with connection.cursor() as cursor:
        for k in range(0, len(people), CHUNK):
            chunk = people[k : k + CHUNK]
            extra = f"AND person IN ({', '.join(['%s'] * len(chunk))})"
            cursor.execute(_PERSON_SQL.format(table=table, extra=extra), [first, end, *chunk])
            for person, h, v, c, ck, o, u, r in cursor.fetchall():
                states[person] = (bool(h), int(v), int(c), int(ck), int(o), int(u), float(r))
    return states


def _today_state(row: DailyActivity) -> tuple:
    return (
        row.held_out,
        int(row.views > 0),
        int(row.cart_adds > 0),
        int(row.checkouts > 0),
        row.orders,
        row.units,
        float(row.revenue),
    )


def _merge(old: tuple | None, new: tuple) -> tuple:
    if old is None:
        return new
    return (
        old[0] or new[0],
        max(old[1], new[1]),
        max(old[2], new[2]),
        max(old[3], new[3]),
        old[4] + new[4],
        old[5] + new[5],
        old[6] + new[6],
    )


def groups(period: rollups.PeriodFigures, version: tuple) -> dict[str, GroupFigures]:
    first, end = version[0], version[1]
    past = _cached(("groups", *version), lambda: _past_groups(first, end))
    by_group = {h: GroupFigures() + g for h, g in past.items()}
    live = period.live.activity if period.live else {}
    if live:
        people = list(live)
        old_states = _past_states(first, end, people) if end > first else {}
        for person in people:
            old = old_states.get(person)
            new = _merge(old, _today_state(live[person]))
            if old is not None:
                by_group[old[0]].add(old, -1)
            by_group[new[0]].add(new, +1)
    return {
        "all": by_group[False] + by_group[True],
        "personalized": by_group[False],
        "held_out": by_group[True],
    }


# --- buyers' history: cohorts, churn, lifetime value ------------------------------------


def _past_orders(end: date) -> dict[str, dict[int, float]]:
    """Every closed day before `end` with an order: person -> {day ordinal: revenue}."""
    history: dict[str, dict[int, float]] = defaultdict(dict)
    rows = (
        DailyActivity.objects.filter(orders__gt=0, day__lt=end)
        .values_list("person", "day", "revenue")
        .order_by()
    )
    for person, day, revenue in rows.iterator(chunk_size=5000):
        history[person][day.toordinal()] = float(revenue)
    return dict(history)


def _with_today(past: dict[str, dict[int, float]], period: rollups.PeriodFigures) -> dict:
    if not period.live:
        return past
    today = [(p, r) for p, r in period.live.activity.items() if r.orders]
    if not today:
        return past
    history = dict(past)
    ordinal = period.live.day.toordinal()
    for person, row in today:
        history[person] = {**history.get(person, {}), ordinal: float(row.revenue)}
    return history


_month_numbers: dict[int, int] = {}


def _month_number(ordinal: int) -> int:
    """Months since year 0 of a day ordinal (memoised: called for every order day)."""
    n = _month_numbers.get(ordinal)
    if n is None:
        d = date.fromordinal(ordinal)
        n = _month_numbers[ordinal] = d.year * 12 + d.month - 1
    return n


Months = dict[str, tuple[int, frozenset[int]]]  # person -> (first order day, months ordered)


def buyer_months(history: dict[str, dict[int, float]]) -> Months:
    return {
        person: (min(days), frozenset(_month_number(d) for d in days))
        for person, days in history.items()
    }


def _months_with_today(past: Months, history: dict[str, dict[int, float]], period) -> Months:
    """The past buyers' months, with today's buyers' entries replaced (copy-on-write)."""
    if not period.live:
        return past
    today = [p for p, r in period.live.activity.items() if r.orders]
    if not today:
        return past
    months = dict(past)
    months.update(buyer_months({p: history[p] for p in today}))
    return months


def cohorts(months: Months, first: date, last: date) -> list[Cohort]:
    """Customers whose first order ever falls in the period, by its month; for each
    month from then to the period's last, the share of them who ordered in it.
    (`months` holds order days up to the period's last only: see `compute`.)"""
    lo, hi = first.toordinal(), last.toordinal()
    members: dict[int, list[frozenset[int]]] = defaultdict(list)
    for start, ordered in months.values():
        if lo <= start <= hi:
            members[_month_number(start)].append(ordered)
    end_month = _month_number(hi)
    out = []
    for month in sorted(members):
        people = members[month]
        out.append(
            Cohort(
                month=date(month // 12, month % 12 + 1, 1),
                customers=len(people),
                retained=[
                    sum(1 for s in people if month + k in s) / len(people)
                    for k in range(end_month - month + 1)
                ],
            )
        )
    return out


def churn(history: dict[str, dict[int, float]], first: date, last: date) -> tuple[int, int]:
    """(buyers of the previous period of the same length, those without an order now)."""
    length = (last - first).days + 1
    prev_lo, lo, hi = (
        (first - timedelta(days=length)).toordinal(),
        first.toordinal(),
        last.toordinal(),
    )
    base = churned = 0
    for days in history.values():
        if any(prev_lo <= d < lo for d in days):
            base += 1
            churned += not any(lo <= d <= hi for d in days)
    return base, churned


def _model_value(history: dict[str, dict[int, float]], until: date) -> tuple:
    end = until.toordinal()
    known = {p: d for p, d in history.items() if min(d) <= end}
    h = customer_value.History.from_days(known, end)
    model = customer_value.fit(h)
    predicted: dict[str, float] = {}
    if model is not None:
        values = model.lifetime_value(h, CLV_HORIZON_DAYS)
        predicted = dict(zip(known, (float(v) for v in values), strict=True))
    return predicted, customer_value.holdout(known, end, HOLDOUT_DAYS)


def value(
    history: dict[str, dict[int, float]],
    past: dict[str, dict[int, float]],
    first: date,
    last: date,
    version: tuple,
) -> Value:
    lo, hi = first.toordinal(), last.toordinal()
    buyers = [p for p, days in history.items() if any(lo <= d <= hi for d in days)]
    historical = (
        sum(sum(v for d, v in history[p].items() if d <= hi) for p in buyers) / len(buyers)
        if buyers
        else None
    )
    until = version[1] - timedelta(days=1)  # the last closed day in the period
    if until < first:
        return Value(len(buyers), historical, None, None, None)
    predicted, check = _cached(("value", version[1], version[2]), lambda: _model_value(past, until))
    known = [predicted[p] for p in buyers if p in predicted]
    return Value(
        customers=len(buyers),
        historical=historical,
        predicted=sum(known) / len(known) if known else None,
        holdout=check,
        fitted_until=until if predicted else None,
    )


# --- searches and products --------------------------------------------------------------


def _past_searches(first: date, end: date) -> dict[str, list[int]]:
    rows = (
        DailySearch.objects.filter(day__gte=first, day__lt=end)
        .values("query")
        .annotate(n=Sum("searches"), empty=Sum("no_results"))
        .order_by()
    )
    return {r["query"]: [r["n"], r["empty"]] for r in rows}


def _past_products(first: date, end: date) -> dict[str, list[int]]:
    rows = (
        DailyProduct.objects.filter(day__gte=first, day__lt=end)
        .values("product_id")
        .annotate(v=Sum("views"), lines=Sum("order_lines"), units=Sum("units"))
        .order_by()
    )
    return {r["product_id"]: [r["v"], r["lines"], r["units"]] for r in rows}


def searches(period: rollups.PeriodFigures, version: tuple) -> tuple[list[Query], list[Query]]:
    past = _cached(("searches", *version), lambda: _past_searches(version[0], version[1]))
    totals = {q: list(v) for q, v in past.items()}
    for q, row in (period.live.searches if period.live else {}).items():
        t = totals.setdefault(q, [0, 0])
        t[0] += row.searches
        t[1] += row.no_results
    rows = [Query(q, n, empty) for q, (n, empty) in totals.items()]
    top = sorted(rows, key=lambda r: (-r.searches, r.query))[:TOP]
    empty = sorted((r for r in rows if r.no_results), key=lambda r: (-r.no_results, r.query))
    return top, empty[:TOP]


def products(period: rollups.PeriodFigures, version: tuple) -> tuple[list[Product], float | None]:
    """The most viewed products (at least MIN_VIEWS views) bought at under RARELY times
    the store's order lines per product view, most viewed first."""
    past = _cached(("products", *version), lambda: _past_products(version[0], version[1]))
    totals = {p: list(v) for p, v in past.items()}
    for p, row in (period.live.products if period.live else {}).items():
        t = totals.setdefault(p, [0, 0, 0])
        t[0] += row.views
        t[1] += row.order_lines
        t[2] += row.units
    views = sum(t[0] for t in totals.values())
    rate = sum(t[1] for t in totals.values()) / views if views else None
    if rate is None:
        return [], None
    rows = [
        Product(p, v, lines, units)
        for p, (v, lines, units) in totals.items()
        if v >= MIN_VIEWS and lines / v < RARELY * rate
    ]
    return sorted(rows, key=lambda r: (-r.views, r.product_id))[:TOP], rate


def _version(period: rollups.PeriodFigures) -> tuple:
    closed_end = min(period.last + timedelta(days=1), rollups.today())
    return (period.first, closed_end, rollups.watermark())


def overall(period: rollups.PeriodFigures) -> GroupFigures:
    """Just the per-person figures of all visitors (the admin home's panel)."""
    return groups(period, _version(period))["all"]


def compute(period: rollups.PeriodFigures) -> StoreFigures:
    """All store-wide figures of `period` (the same days as the page's other figures)."""
    first, last = period.first, period.last
    version = _version(period)
    closed_end = version[1]
    past_orders = _cached(("orders", closed_end, version[2]), lambda: _past_orders(closed_end))
    # Both hold order days before `closed_end` (and today's, when in the period): never
    # after the period's last day.
    history = _with_today(past_orders, period)
    past_months = _cached(("months", closed_end, version[2]), lambda: buyer_months(past_orders))
    months = _months_with_today(past_months, history, period)
    base, churned = churn(history, first, last)
    top, empty = searches(period, version)
    rarely, rate = products(period, version)
    return StoreFigures(
        first=first,
        last=last,
        groups=groups(period, version),
        cohorts=cohorts(months, first, last),
        churn_base=base,
        churned=churned,
        value=value(history, past_orders, first, last, version),
        top_searches=top,
        no_result_searches=empty,
        viewed_not_bought=rarely,
        store_lines_per_view=rate,
        missing_days=period.missing_days,
    )
