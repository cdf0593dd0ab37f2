"""What each arm of an experiment earned, from the stored events.

A visitor is in the experiment once they saw the placement (an impression there while
it ran); their arm is re-derived from the deterministic bucketing, so events need no
arm field. Three grouped queries (exposure, outcomes, attributed revenue) return one
row per exposed visitor; the per-arm sums are numpy reductions over those rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from personalization_plugin.experiments import statistics
from personalization_plugin.experiments.attribution import LINE_TOTAL, attributed_purchases
from personalization_plugin.experiments.bucketing import CONTROL, TREATMENT, arms_of
from personalization_plugin.experiments.models import Experiment
from personalization_plugin.models import Event


@dataclass
class ArmResult:
    """Totals for one arm; rates are per exposed visitor unless named otherwise."""

    name: str
    strategy: str
    visitors: int
    impressions: int
    clicks: int
    cart_visitors: int
    converters: int
    orders: int
    revenue: float
    attributed_revenue: float
    revenue_per_visitor_values: np.ndarray

    @property
    def ctr(self) -> float:
        """Clicks per impression on the placement."""
        return self.clicks / self.impressions if self.impressions else 0.0

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


@dataclass
class ExperimentResult:
    experiment: Experiment
    since: datetime
    until: datetime
    control: ArmResult
    treatment: ArmResult
    comparisons: dict[str, statistics.Comparison]

    @property
    def arms(self) -> tuple[ArmResult, ArmResult]:
        return (self.control, self.treatment)

    @property
    def sample_size_needed(self) -> int | None:
        """Visitors per arm to detect a 10 % relative change in conversion (80 % power)."""
        return statistics.sample_size_per_arm(self.control.conversion_rate)


def _window(experiment: Experiment) -> tuple[datetime, datetime]:
    since = experiment.started_at or experiment.created_at
    until = experiment.ended_at or timezone.now()
    return since, until


def exposures(experiment: Experiment) -> QuerySet:
    """One row per visitor who saw the placement: visitor_id, impressions, clicks."""
    since, until = _window(experiment)
    return (
        Event.objects.filter(
            placement=experiment.placement,
            type__in=("impression", "click"),
            occurred_at__gte=since,
            occurred_at__lt=until,
        )
        .values("visitor_id")
        .annotate(
            impressions=Count("pk", filter=Q(type="impression")),
            clicks=Count("pk", filter=Q(type="click")),
        )
        .filter(impressions__gt=0)
        .order_by("visitor_id")
    )


def _outcomes(experiment: Experiment, exposed: QuerySet) -> dict[str, dict]:
    since, until = _window(experiment)
    rows = (
        Event.objects.filter(
            type__in=("cart_add", "purchase"),
            occurred_at__gte=since,
            occurred_at__lt=until,
            visitor_id__in=exposed.values("visitor_id"),
        )
        .values("visitor_id")
        .annotate(
            carts=Count("pk", filter=Q(type="cart_add")),
            orders=Count("order_id", distinct=True, filter=Q(type="purchase")),
            revenue=Sum(LINE_TOTAL, filter=Q(type="purchase")),
        )
        .order_by()
    )
    return {r["visitor_id"]: r for r in rows}


def _attributed(experiment: Experiment, exposed: QuerySet) -> dict[str, float]:
    since, until = _window(experiment)
    rows = (
        attributed_purchases(
            window_days=experiment.attribution_days,
            since=since,
            until=until,
            placement=experiment.placement,
        )
        .filter(visitor_id__in=exposed.values("visitor_id"))
        .values("visitor_id")
        .annotate(revenue=Sum(LINE_TOTAL))
        .order_by()
    )
    return {r["visitor_id"]: float(r["revenue"] or 0) for r in rows}


def _arm(name: str, strategy: str, mask: np.ndarray, columns: dict[str, np.ndarray]) -> ArmResult:
    return ArmResult(
        name=name,
        strategy=strategy,
        visitors=int(mask.sum()),
        impressions=int(columns["impressions"][mask].sum()),
        clicks=int(columns["clicks"][mask].sum()),
        cart_visitors=int((columns["carts"][mask] > 0).sum()),
        converters=int((columns["orders"][mask] > 0).sum()),
        orders=int(columns["orders"][mask].sum()),
        revenue=float(columns["revenue"][mask].sum()),
        attributed_revenue=float(columns["attributed"][mask].sum()),
        revenue_per_visitor_values=columns["revenue"][mask],
    )


def analyse(experiment: Experiment) -> ExperimentResult:
    """Per-arm metrics and treatment-vs-control tests for `experiment`."""
    since, until = _window(experiment)
    exposed = exposures(experiment)
    rows = list(exposed)
    outcomes = _outcomes(experiment, exposed)
    attributed = _attributed(experiment, exposed)
    ids = [r["visitor_id"] for r in rows]
    empty: dict = {}
    columns = {
        "impressions": np.array([r["impressions"] for r in rows], dtype=np.int64),
        "clicks": np.array([r["clicks"] for r in rows], dtype=np.int64),
        "carts": np.array([outcomes.get(v, empty).get("carts", 0) for v in ids], dtype=np.int64),
        "orders": np.array([outcomes.get(v, empty).get("orders", 0) for v in ids], dtype=np.int64),
        "revenue": np.array(
            [float(outcomes.get(v, empty).get("revenue") or 0) for v in ids], dtype=float
        ),
        "attributed": np.array([attributed.get(v, 0.0) for v in ids], dtype=float),
    }
    in_control = arms_of(experiment.pk, ids, experiment.holdout_percent)
    control = _arm(CONTROL, experiment.control_strategy, in_control, columns)
    treatment = _arm(TREATMENT, experiment.treatment_strategy, ~in_control, columns)
    return ExperimentResult(
        experiment, since, until, control, treatment, compare(control, treatment)
    )


def compare(control: ArmResult, treatment: ArmResult) -> dict[str, statistics.Comparison]:
    """The significance tests shown for an experiment, keyed by metric."""
    z = statistics.two_proportion_z
    return {
        "ctr": z(control.clicks, control.impressions, treatment.clicks, treatment.impressions),
        "add_to_cart_rate": z(
            control.cart_visitors, control.visitors, treatment.cart_visitors, treatment.visitors
        ),
        "conversion_rate": z(
            control.converters, control.visitors, treatment.converters, treatment.visitors
        ),
        "revenue_per_visitor": statistics.welch_t(
            control.revenue_per_visitor_values, treatment.revenue_per_visitor_values
        ),
    }
