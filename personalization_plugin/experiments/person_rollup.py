"""One row per exposed person and experiment, kept up to date as events are stored.

The results page used to scan every event of the experiment's window on each load (1.4 s
at 1M events). Instead it reads `ExposedPerson` rows: the very per-person columns
`exposed.people` computes from the events, stored. `refresh` keeps them exact
incrementally: it recomputes only the people whose events were stored since the last
refresh (`Event.stored_at`, indexed), with the same queries the full scan runs but
narrowed to those people's ids, so a row always equals what a full scan would give for
that person (`tests/experiments/test_person_rollup.py` checks this on random data).

Per-person rows, not per-arm sums: the variance, delta-method and CUPED terms need each
person's totals over the whole window (a person active on two days is one observation,
and squares of daily sums do not add up to the square of the total).

What else can change a person's columns, and how it reaches the rows:
* a visitor merged into a customer (events get a customer id, no new `stored_at`):
  `StalePerson` rows, written on `signals.visitor_merged`, recounted next refresh;
* an arm pinned at sign-in (`Enrollment`): recounted when the pin is newer than the mark;
* an erasure: `erase` deletes the rows (registered as an eraser);
* the owner editing the window, placement, split or attribution window: `basis`
  changes and the rows are rebuilt with one full scan.
Events that commit late (a transaction open across the mark) are caught by reading
from LAG before the mark; the events of that stretch already counted are remembered
(`recent`), so live traffic does not recount the same people on every load.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import numpy as np
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from personalization_plugin.core import subjects
from personalization_plugin.experiments import exposed
from personalization_plugin.experiments.attribution import person_expression
from personalization_plugin.experiments.bucketing import CONTROL, arms_for
from personalization_plugin.experiments.models import (
    Enrollment,
    Experiment,
    ExposedPerson,
    ExposureRollup,
    StalePerson,
)
from personalization_plugin.models import Event

LAG = timedelta(minutes=2)  # longer than any intake transaction stays open
CHUNK = 200  # people per narrowed query (two IN lists: within SQLite's variable limit)
PURPOSE = "experiment"  # digest purpose: a customer's row digest equals their pin's
COUNTS = ("impressions", "clicks", "carts", "orders", "pre_carts", "pre_orders")
AMOUNTS = ("revenue", "attributed", "pre_revenue")
FIELDS = COUNTS + AMOUNTS


def digest(key: str) -> str:
    """The stored name of a person key (never the id itself)."""
    return subjects.digest(key, purpose=PURPOSE)


def basis(experiment: Experiment) -> str:
    """What the rows depend on besides the events; a change means a rebuild."""
    since = experiment.started_at or experiment.created_at
    return (
        f"{since.isoformat()}|{experiment.placement}|{experiment.holdout_percent}|"
        f"{experiment.attribution_days}"
    )


def _rows(experiment: Experiment, people: exposed.People) -> list[ExposedPerson]:
    in_control = arms_for(experiment.pk, people.keys, experiment.holdout_percent)
    c = people.columns
    return [
        ExposedPerson(
            experiment=experiment,
            person=digest(key),
            in_control=bool(in_control[i]),
            **{name: int(c[name][i]) for name in COUNTS},
            **{name: float(c[name][i]) for name in AMOUNTS},
        )
        for i, key in enumerate(people.keys)
    ]


def _stored(stored_since: datetime, stored_until: datetime) -> list[tuple[int, str, datetime]]:
    """(id, person key, stored_at) of the events stored in [stored_since, stored_until)."""
    return list(
        Event.objects.filter(stored_at__gte=stored_since, stored_at__lt=stored_until)
        .annotate(person=person_expression())
        .values_list("pk", "person", "stored_at")
        .order_by()
    )


def _recent(stored: list[tuple[int, str, datetime]], now: datetime) -> list[int]:
    return [pk for pk, _, at in stored if at >= now - LAG]


def _recount(experiment: Experiment, keys: Iterable[str]) -> int:
    """Replace these people's rows by a fresh count; returns the rows written."""
    ordered = sorted(set(keys))
    written = 0
    for k in range(0, len(ordered), CHUNK):
        chunk = ordered[k : k + CHUNK]
        rows = _rows(experiment, exposed.people(experiment, among=chunk))
        ExposedPerson.objects.filter(
            experiment=experiment, person__in=[digest(key) for key in chunk]
        ).delete()
        ExposedPerson.objects.bulk_create(rows, batch_size=500)
        written += len(rows)
    return written


def _repin(experiment: Experiment, since: datetime) -> None:
    """Apply arms pinned since `since` to the pinned customers' rows."""
    for person, arm in Enrollment.objects.filter(
        experiment=experiment, created_at__gte=since
    ).values_list("person", "arm"):
        ExposedPerson.objects.filter(experiment=experiment, person=person).update(
            in_control=arm == CONTROL
        )


def refresh(experiment: Experiment, now: datetime | None = None) -> int:
    """Bring `experiment`'s rows up to date; returns how many people were recounted.

    Runs under the experiment's roll-up row (updated first, so the write lock or row
    lock is held before anything is read): concurrent refreshes take turns, and none
    can write an older count over a newer one.
    """
    now = now or timezone.now()
    ExposureRollup.objects.get_or_create(experiment=experiment)
    with transaction.atomic():
        ExposureRollup.objects.filter(pk=experiment.pk).update(refreshed_at=now)
        state = ExposureRollup.objects.get(pk=experiment.pk)
        wanted = basis(experiment)
        stale = list(StalePerson.objects.filter(experiment=experiment).values_list("pk", "person"))
        if state.stored_until is None or state.basis != wanted:
            recent = _recent(_stored(now - LAG, now), now)  # read before the scan
            ExposedPerson.objects.filter(experiment=experiment).delete()
            rows = _rows(experiment, exposed.people(experiment))
            ExposedPerson.objects.bulk_create(rows, batch_size=1000)
            recounted = len(rows)
        else:
            mark = state.stored_until - LAG
            stored = _stored(mark, now)  # read before the recount
            counted = set(state.recent)
            keys = {person for pk, person, _ in stored if pk not in counted}
            keys |= {person for _, person in stale}
            recounted = _recount(experiment, keys)
            _repin(experiment, mark)
            recent = _recent(stored, now)
        ExposureRollup.objects.filter(pk=experiment.pk).update(
            basis=wanted, stored_until=now, refreshed_at=now, recent=recent
        )
        if stale:
            StalePerson.objects.filter(pk__in=[pk for pk, _ in stale]).delete()
    return recounted


def refresh_all() -> dict[int, int]:
    """Refresh every experiment that is running or has rows (the scheduled command)."""
    now = timezone.now()
    wanted = Experiment.objects.filter(
        Q(status=Experiment.Status.RUNNING) | Q(pk__in=ExposureRollup.objects.values("pk"))
    ).order_by("pk")
    return {experiment.pk: refresh(experiment, now) for experiment in wanted}


def read(experiment: Experiment) -> tuple[exposed.People, np.ndarray]:
    """The stored people of `experiment` (ordered by digest) and who is in control."""
    rows = list(
        ExposedPerson.objects.filter(experiment=experiment)
        .order_by("person")
        .values_list("person", "in_control", *FIELDS)
    )
    if not rows:
        return exposed.People.empty(), np.zeros(0, dtype=bool)
    columns = {
        name: np.fromiter((r[2 + i] for r in rows), dtype=float, count=len(rows))
        for i, name in enumerate(FIELDS)
    }
    in_control = np.fromiter((r[1] for r in rows), dtype=bool, count=len(rows))
    has_pre = bool((columns["pre_carts"] > 0).any() or (columns["pre_orders"] > 0).any())
    return exposed.People([r[0] for r in rows], columns, has_pre=has_pre), in_control


def mark_stale(keys: Iterable[str]) -> int:
    """Have each experiment's next refresh recount these person keys (their stored
    events changed). Experiments without rows yet count everyone when first built."""
    wanted = [key for key in keys if key]
    rows = [
        StalePerson(experiment_id=pk, person=key)
        for pk in ExposureRollup.objects.values_list("pk", flat=True)
        for key in wanted
    ]
    StalePerson.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def erase(subject_keys: set[str]) -> int:
    """Eraser: drop the rows of these subjects ("v:<visitor>", "c:<customer>"), under
    every hash key still in use."""
    keys = [
        subjects.customer(ident) if subjects.is_customer(s) else ident
        for s in subject_keys
        for ident in [subjects.ident(s)]
    ]
    digests = [d for key in keys for d in subjects.digests(key, purpose=PURPOSE)]
    deleted = 0
    for k in range(0, len(digests), 500):
        deleted += ExposedPerson.objects.filter(person__in=digests[k : k + 500]).delete()[0]
    deleted += StalePerson.objects.filter(person__in=keys).delete()[0]
    return deleted
