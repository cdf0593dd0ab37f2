"""Who was exposed to an experiment and what each of them did, from the stored events.

A person (a signed-in customer, else an anonymous visitor; see `bucketing.person_key`)
is in the experiment once they saw the placement while it ran. Grouped queries return
one row per exposed person (`People`): their impressions and clicks on the placement,
cart adds, orders, revenue and revenue after a click during the experiment, and the
same outcomes in the PRE_DAYS before it (CUPED's covariate). `people` scans the window;
`people(among=...)` reads only some people, through their id indexes, which is what
the incremental roll-up (`person_rollup`) recounts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from personalization_plugin.core import subjects
from personalization_plugin.experiments.attribution import (
    LINE_TOTAL,
    attributed_by_person,
    events_where,
    person_expression,
)
from personalization_plugin.experiments.models import Experiment
from personalization_plugin.experiments.planning import PRE_DAYS

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


def window(experiment: Experiment) -> tuple[datetime, datetime]:
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
    since, until = window(experiment)
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
    since, until = window(experiment)
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
    since, until = window(experiment)
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
