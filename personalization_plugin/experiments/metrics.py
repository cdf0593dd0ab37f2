"""What each arm of an experiment earned, per person, from the stored events.

A person (a signed-in customer, else an anonymous visitor; see `bucketing.person_key`)
is in the experiment once they saw the placement while it ran; their arm is re-derived
from the bucketing (hash plus sign-in pins), so events need no arm field. Grouped
queries return one row per exposed person (`People`), and `evaluate` turns those
columns into per-arm totals and the tests. `evaluate` is pure numpy: the A/A simulation
(`benchmarks/experiments_aa.py`) feeds it simulated people through the very same code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from personalization_plugin.core import subjects
from personalization_plugin.experiments import statistics
from personalization_plugin.experiments.attribution import (
    LINE_TOTAL,
    attributed_by_person,
    events_where,
    person_expression,
)
from personalization_plugin.experiments.bucketing import CONTROL, TREATMENT, arms_for
from personalization_plugin.experiments.models import Experiment, Metric
from personalization_plugin.experiments.planning import PRE_DAYS, planned_visitors
from personalization_plugin.models import Event

# Mean metrics: the per-person value and its pre-experiment covariate (column names).
MEAN_METRICS: dict[str, tuple[str, str]] = {
    Metric.CONVERSION_RATE: ("converted", "pre_converted"),
    Metric.ADD_TO_CART_RATE: ("carted", "pre_carted"),
    Metric.REVENUE_PER_VISITOR: ("revenue", "pre_revenue"),
}
# Ratio metrics: numerator and denominator columns, summed per person.
RATIO_METRICS: dict[str, tuple[str, str]] = {
    Metric.CTR: ("clicks", "impressions"),
    Metric.AVERAGE_ORDER_VALUE: ("revenue", "orders"),
}
METRIC_ORDER: tuple[str, ...] = (
    Metric.CONVERSION_RATE,
    Metric.REVENUE_PER_VISITOR,
    Metric.ADD_TO_CART_RATE,
    Metric.CTR,
    Metric.AVERAGE_ORDER_VALUE,
)
COLUMNS = ("impressions", "clicks", "carts", "orders", "revenue", "attributed")
PRE_COLUMNS = ("pre_carts", "pre_orders", "pre_revenue")


@dataclass
class People:
    """One row per exposed person: aligned numpy columns (counts and money)."""

    keys: list[str]
    columns: dict[str, np.ndarray]
    has_pre: bool = False  # whether pre-experiment columns were measured

    def __len__(self) -> int:
        return len(self.keys)

    def column(self, name: str) -> np.ndarray:
        if name == "converted":
            return (self.columns["orders"] > 0).astype(float)
        if name == "carted":
            return (self.columns["carts"] > 0).astype(float)
        if name == "pre_converted":
            return (self.columns["pre_orders"] > 0).astype(float)
        if name == "pre_carted":
            return (self.columns["pre_carts"] > 0).astype(float)
        if name == "clicks":  # a click whose impression was never reported counts once
            return np.minimum(self.columns["clicks"], self.columns["impressions"]).astype(float)
        return self.columns[name].astype(float)

    @classmethod
    def empty(cls) -> People:
        return cls([], {c: np.zeros(0) for c in COLUMNS + PRE_COLUMNS})


@dataclass
class ArmResult:
    """Totals for one arm; rates are per person unless named otherwise."""

    name: str
    strategy: str
    visitors: int  # people (customers or anonymous visitors) who saw the placement
    impressions: int
    clicks: int
    cart_visitors: int
    converters: int
    orders: int
    revenue: float
    attributed_revenue: float

    @property
    def ctr(self) -> float:
        """Clicks per impression on the placement."""
        return min(self.clicks, self.impressions) / self.impressions if self.impressions else 0.0

    @property
    def add_to_cart_rate(self) -> float:
        return self.cart_visitors / self.visitors if self.visitors else 0.0

    @property
    def conversion_rate(self) -> float:
        return self.converters / self.visitors if self.visitors else 0.0

    @property
    def revenue_per_visitor(self) -> float:
        return self.revenue / self.visitors if self.visitors else 0.0

    @property
    def average_order_value(self) -> float:
        return self.revenue / self.orders if self.orders else 0.0


@dataclass(frozen=True)
class Design:
    """What `evaluate` needs to know of an experiment (plain values, no database)."""

    primary_metric: str
    holdout_percent: float
    planned_visitors: int | None
    control_strategy: str = ""
    treatment_strategy: str = ""

    @classmethod
    def of(cls, experiment: Experiment, planned: int | None) -> Design:
        return cls(
            experiment.primary_metric,
            float(experiment.holdout_percent),
            planned,
            experiment.control_strategy,
            experiment.treatment_strategy,
        )


@dataclass
class ExperimentResult:
    design: Design
    control: ArmResult
    treatment: ArmResult
    estimates: dict[str, statistics.Estimate]
    srm: statistics.SampleRatio
    experiment: Experiment | None = None
    since: datetime | None = None
    until: datetime | None = None
    currency: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def arms(self) -> tuple[ArmResult, ArmResult]:
        return (self.control, self.treatment)

    @property
    def people(self) -> int:
        return self.control.visitors + self.treatment.visitors

    @property
    def primary(self) -> statistics.Estimate:
        return self.estimates[self.design.primary_metric]

    @property
    def planned_visitors(self) -> int | None:
        return self.design.planned_visitors

    @property
    def horizon_reached(self) -> bool:
        """Fixed horizon: results count only once the planned sample is in."""
        planned = self.design.planned_visitors
        return planned is not None and self.people >= planned

    @property
    def primary_significant(self) -> bool:
        """What the A/A simulation counts: a significant primary metric at the horizon."""
        return self.horizon_reached and not self.srm.mismatch and self.primary.significant

    @property
    def decision(self) -> str:
        """One of: empty, unplanned, mismatch, collecting, treatment_better,
        control_better, no_difference (the page words each)."""
        if self.people == 0:
            return "empty"
        if self.srm.mismatch:
            return "mismatch"
        if self.design.planned_visitors is None:
            return "unplanned"
        if not self.horizon_reached:
            return "collecting"
        primary = self.primary
        if primary.significant and primary.difference is not None:
            return "treatment_better" if primary.difference > 0 else "control_better"
        return "no_difference"


def _window(experiment: Experiment) -> tuple[datetime, datetime]:
    since = experiment.started_at or experiment.created_at
    until = experiment.ended_at or timezone.now()
    return since, until


def of_people(keys: Iterable[str]) -> Q:
    """Events of these person keys (`bucketing.person_key`): a customer's by customer id,
    an anonymous visitor's by visitor id (both columns indexed)."""
    prefix = subjects.customer("")
    customers = sorted(k[len(prefix) :] for k in keys if k.startswith(prefix))
    visitors = sorted(k for k in keys if not k.startswith(prefix))
    where = Q(pk__in=[])
    if customers:
        where |= Q(customer_id__in=customers)
    if visitors:
        where |= Q(visitor_id__in=visitors, customer_id="")
    return where


def exposures(experiment: Experiment, where: Q | None = None) -> QuerySet:
    """One row per person who saw the placement: person, impressions, clicks."""
    since, until = _window(experiment)
    return (
        events_where(
            where,
            placement=experiment.placement,
            type__in=("impression", "click"),
            occurred_at__gte=since,
            occurred_at__lt=until,
        )
        .annotate(person=person_expression())
        .values("person")
        .annotate(
            impressions=Count("pk", filter=Q(type="impression")),
            clicks=Count("pk", filter=Q(type="click")),
        )
        .filter(impressions__gt=0)
        .order_by("person")
    )


def _outcomes(
    since: datetime, until: datetime, keys: set[str], where: Q | None = None
) -> dict[str, dict[str, float]]:
    """Cart adds, orders and revenue per person in [since, until), for `keys` only.

    Grouped over every person in the window and filtered here: one indexed range scan
    (type, occurred_at), where an IN-subquery per row would scan once per person."""
    rows = (
        events_where(
            where, type__in=("cart_add", "purchase"), occurred_at__gte=since, occurred_at__lt=until
        )
        .annotate(person=person_expression())
        .values("person")
        .annotate(
            carts=Count("pk", filter=Q(type="cart_add")),
            orders=Count("order_id", distinct=True, filter=Q(type="purchase")),
            revenue=Sum(LINE_TOTAL, filter=Q(type="purchase")),
        )
        .order_by()
    )
    return {
        r["person"]: {
            "carts": r["carts"],
            "orders": r["orders"],
            "revenue": float(r["revenue"] or 0),
        }
        for r in rows
        if r["person"] in keys
    }


def _attributed(experiment: Experiment, keys: set[str], where: Q | None) -> dict[str, float]:
    since, until = _window(experiment)
    return attributed_by_person(
        window_days=experiment.attribution_days,
        since=since,
        until=until,
        placement=experiment.placement,
        people=keys,
        where=where,
    )


def people(experiment: Experiment, among: Iterable[str] | None = None) -> People:
    """The exposed people of `experiment` with their outcomes and pre-period behaviour.

    With `among` (person keys) only those people are read, through the indexed id
    columns: what the incremental roll-up (`person_rollup`) recomputes for the people
    whose events changed. Without it, a scan of the experiment's whole window."""
    since, until = _window(experiment)
    where = of_people(set(among)) if among is not None else None
    rows = list(exposures(experiment, where))
    if not rows:
        return People.empty()
    keys = [r["person"] for r in rows]
    exposed = set(keys)
    during = _outcomes(since, until, exposed, where)
    before = _outcomes(since - timedelta(days=PRE_DAYS), since, exposed, where)
    attributed = _attributed(experiment, exposed, where)
    nothing: dict[str, float] = {}

    def col(source: dict[str, dict[str, float]], name: str) -> np.ndarray:
        return np.array([source.get(k, nothing).get(name, 0) for k in keys], dtype=float)

    columns = {
        "impressions": np.array([r["impressions"] for r in rows], dtype=float),
        "clicks": np.array([r["clicks"] for r in rows], dtype=float),
        "carts": col(during, "carts"),
        "orders": col(during, "orders"),
        "revenue": col(during, "revenue"),
        "attributed": np.array([attributed.get(k, 0.0) for k in keys], dtype=float),
        "pre_carts": col(before, "carts"),
        "pre_orders": col(before, "orders"),
        "pre_revenue": col(before, "revenue"),
    }
    return People(keys, columns, has_pre=bool(before))


def _arm(name: str, strategy: str, mask: np.ndarray, people: People) -> ArmResult:
    c = people.columns
    return ArmResult(
        name=name,
        strategy=strategy,
        visitors=int(mask.sum()),
        impressions=int(c["impressions"][mask].sum()),
        clicks=int(c["clicks"][mask].sum()),
        cart_visitors=int((c["carts"][mask] > 0).sum()),
        converters=int((c["orders"][mask] > 0).sum()),
        orders=int(c["orders"][mask].sum()),
        revenue=float(c["revenue"][mask].sum()),
        attributed_revenue=float(c["attributed"][mask].sum()),
    )


def estimate(metric: str, people: People, in_control: np.ndarray) -> statistics.Estimate:
    """One metric's treatment-vs-control estimate over these people."""
    in_treatment = ~in_control
    if metric in MEAN_METRICS:
        value, covariate = MEAN_METRICS[metric]
        y = people.column(value)
        if people.has_pre:
            x = people.column(covariate)
            return statistics.mean_metric(
                metric, y[in_control], y[in_treatment], x[in_control], x[in_treatment]
            )
        return statistics.mean_metric(metric, y[in_control], y[in_treatment])
    numer, denom = RATIO_METRICS[metric]
    n, d = people.column(numer), people.column(denom)
    return statistics.ratio_metric(
        metric, n[in_control], d[in_control], n[in_treatment], d[in_treatment]
    )


def evaluate(people: People, in_control: np.ndarray, design: Design) -> ExperimentResult:
    """Per-arm totals, every metric's estimate (secondaries Holm-corrected) and the
    sample-ratio check. Pure: the same code runs on stored and on simulated people."""
    in_control = np.asarray(in_control, dtype=bool)
    control = _arm(CONTROL, design.control_strategy, in_control, people)
    treatment = _arm(TREATMENT, design.treatment_strategy, ~in_control, people)
    raw = {m: estimate(m, people, in_control) for m in METRIC_ORDER}
    estimates = statistics.correct(raw, design.primary_metric)
    srm = statistics.sample_ratio(
        control.visitors, treatment.visitors, design.holdout_percent / 100.0
    )
    return ExperimentResult(design, control, treatment, estimates, srm)


def store_currency() -> str:
    """The currency of the newest order ("" when none is known): one indexed read."""
    currency = (
        Event.objects.filter(type="purchase")
        .exclude(currency="")
        .order_by("-occurred_at")
        .values_list("currency", flat=True)
        .first()
    )
    return currency or ""


def by_digest(exposed: People, in_control: np.ndarray) -> tuple[People, np.ndarray]:
    """The same people renamed by their stored digest and ordered by it: the order the
    roll-up reads them in, so both paths sum the same numbers in the same order."""
    from personalization_plugin.experiments.person_rollup import digest

    names = [digest(key) for key in exposed.keys]
    order = np.argsort(np.array(names, dtype=object), kind="stable")
    columns = {name: values[order] for name, values in exposed.columns.items()}
    people = People([names[i] for i in order], columns, has_pre=exposed.has_pre)
    return people, np.asarray(in_control, dtype=bool)[order]


def analyse(experiment: Experiment, *, scan: bool = False) -> ExperimentResult:
    """Per-arm metrics and per-person treatment-vs-control tests for `experiment`.

    Reads the per-person roll-up (`person_rollup`, brought up to date first: only the
    people with events stored since the last refresh are recounted). `scan=True` reads
    every event of the window instead; the tests check both give the same result."""
    from personalization_plugin.experiments import person_rollup

    since, until = _window(experiment)
    if scan:
        exposed = people(experiment)
        in_control = arms_for(experiment.pk, exposed.keys, experiment.holdout_percent)
        exposed, in_control = by_digest(exposed, in_control)
    else:
        person_rollup.refresh(experiment)
        exposed, in_control = person_rollup.read(experiment)
    result = evaluate(exposed, in_control, Design.of(experiment, planned_visitors(experiment)))
    result.experiment, result.since, result.until = experiment, since, until
    result.currency = store_currency()
    return result
