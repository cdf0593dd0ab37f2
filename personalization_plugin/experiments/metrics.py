"""What each arm of an experiment earned, per person, from the stored events.

A person (a signed-in customer, else an anonymous visitor; see `bucketing.person_key`)
is in the experiment once they saw the placement while it ran; their arm is re-derived
from the bucketing (hash plus sign-in pins), so events need no arm field. One row per
exposed person (`exposed.People`: read from the per-person roll-up, or scanned from the
events), and `evaluate` turns those columns into per-arm totals and the tests. `evaluate` is pure numpy: the A/A simulation
(`benchmarks/experiments_aa.py`) feeds it simulated people through the very same code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from personalization_plugin.experiments import person_rollup, statistics
from personalization_plugin.experiments.bucketing import CONTROL, TREATMENT, arms_for
from personalization_plugin.experiments.exposed import People, people, window
from personalization_plugin.experiments.models import Experiment, Metric
from personalization_plugin.experiments.planning import planned_visitors
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
    names = [person_rollup.digest(key) for key in exposed.keys]
    order = np.argsort(np.array(names, dtype=object), kind="stable")
    columns = {name: values[order] for name, values in exposed.columns.items()}
    people = People([names[i] for i in order], columns, has_pre=exposed.has_pre)
    return people, np.asarray(in_control, dtype=bool)[order]


def analyse(experiment: Experiment, *, scan: bool = False) -> ExperimentResult:
    """Per-arm metrics and per-person treatment-vs-control tests for `experiment`.

    Reads the per-person roll-up (`person_rollup`, brought up to date first: only the
    people with events stored since the last refresh are recounted). `scan=True` reads
    every event of the window instead; the tests check both give the same result."""
    since, until = window(experiment)
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
