"""The fixed horizon: how many people an experiment needs before its result is shown.

Planned once, when the experiment starts, from the primary metric's per-person mean
and variance over the PRE_DAYS before the start (everyone active then; for click-
through, everyone who saw the placement), for the owner's minimum detectable effect at
ALPHA and 80 % power. Without enough history the owner's baseline rate is used (rate
metrics only); with neither, the experiment cannot be planned and the page says what to
enter. Testing once at the planned size keeps the false-positive rate at ALPHA, which
looking every day and stopping at the first "significant" reading would not.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
from django.db.models import Count, Q, Sum
from django.utils import timezone

from personalization_plugin.experiments import statistics
from personalization_plugin.experiments.attribution import LINE_TOTAL, person_expression
from personalization_plugin.experiments.models import Experiment, Metric
from personalization_plugin.models import Event

PRE_DAYS = 28  # pre-experiment window for CUPED covariates and sample-size planning
MIN_PEOPLE = 100  # fewer people before the start than this: too little to plan from
RATE_METRICS = (Metric.CONVERSION_RATE, Metric.ADD_TO_CART_RATE, Metric.CTR)


def _pre_period(experiment: Experiment, start: datetime) -> dict[str, np.ndarray]:
    rows = list(
        Event.objects.filter(
            occurred_at__gte=start - timedelta(days=PRE_DAYS), occurred_at__lt=start
        )
        .annotate(person=person_expression())
        .values("person")
        .annotate(
            carts=Count("pk", filter=Q(type="cart_add")),
            orders=Count("order_id", distinct=True, filter=Q(type="purchase")),
            revenue=Sum(LINE_TOTAL, filter=Q(type="purchase")),
            impressions=Count("pk", filter=Q(type="impression", placement=experiment.placement)),
            clicks=Count("pk", filter=Q(type="click", placement=experiment.placement)),
        )
        .order_by()
    )
    return {
        name: np.array([float(r[name] or 0) for r in rows], dtype=float)
        for name in ("carts", "orders", "revenue", "impressions", "clicks")
    }


def metric_moments(metric: str, pre: dict[str, np.ndarray]) -> tuple[float, float, int] | None:
    """Per-person mean, variance and people count of `metric` in pre-period columns."""
    if metric == Metric.CONVERSION_RATE:
        values = (pre["orders"] > 0).astype(float)
    elif metric == Metric.ADD_TO_CART_RATE:
        values = (pre["carts"] > 0).astype(float)
    elif metric == Metric.REVENUE_PER_VISITOR:
        values = pre["revenue"]
    else:
        numer, denom = ("clicks", "impressions") if metric == Metric.CTR else ("revenue", "orders")
        keep = pre[denom] > 0
        n, d = pre[numer][keep], pre[denom][keep]
        if metric == Metric.CTR:
            n = np.minimum(n, d)
        if n.size < 2:
            return None
        ratio, var = statistics.ratio_moments(n, d)
        return ratio, var, int(n.size)
    if values.size < 2:
        return None
    return float(values.mean()), float(values.var(ddof=1)), int(values.size)


def plan(experiment: Experiment, start: datetime | None = None) -> int | None:
    """People (both arms) needed for `experiment`, or None when it cannot be planned."""
    start = start or experiment.started_at or timezone.now()
    share = experiment.holdout_percent / 100.0
    mde = experiment.minimum_detectable_effect / 100.0
    moments = metric_moments(experiment.primary_metric, _pre_period(experiment, start))
    if moments is not None and moments[2] >= MIN_PEOPLE:
        mean, variance, _ = moments
        planned = statistics.planned_sample_size(mean, variance, mde, share)
        if planned is not None:
            return planned
    rate = experiment.baseline_rate
    if rate and experiment.primary_metric in RATE_METRICS:
        return statistics.planned_sample_size(rate, statistics.rate_variance(rate), mde, share)
    return None


def planned_visitors(experiment: Experiment) -> int | None:
    """The stored plan, else (an experiment started before plans existed) one computed
    from the data before its start and stored, so it is computed once, not per page."""
    if experiment.planned_visitors:
        return experiment.planned_visitors
    if experiment.status == Experiment.Status.DRAFT:
        return None
    planned = plan(experiment)
    if planned is not None and experiment.pk:
        Experiment.objects.filter(pk=experiment.pk).update(planned_visitors=planned)
        experiment.planned_visitors = planned
    return planned
