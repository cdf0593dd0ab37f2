"""The per-person roll-up gives exactly the analysis the event scan gives.

Random stores (several seeds): visitors and signed-in customers, impressions and clicks
on the experiment's placement and another one, cart adds, multi-line orders with skewed
prices, events before the start (CUPED's covariate) and after it. Events arrive in
batches with a refresh between them, some batches stored late (events that happened
earlier), a visitor is merged into a customer, an arm is pinned, an experiment is
edited, a shopper is erased: after each step the roll-up-based result equals the
event-scan result field for field (same floats, not approximately).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from django.utils import timezone

from personalization_plugin.core import subjects
from personalization_plugin.experiments import person_rollup
from personalization_plugin.experiments.bucketing import CONTROL, TREATMENT, pin_digest
from personalization_plugin.experiments.metrics import analyse
from personalization_plugin.experiments.models import Enrollment, ExposedPerson, StalePerson
from personalization_plugin.models import Event
from personalization_plugin.privacy.erasure import erase
from personalization_plugin.tracking.merge import merge_visitor

from .factories import running_experiment

pytestmark = pytest.mark.django_db(transaction=True)

DAY = timedelta(days=1)
ROOT = Path(__file__).resolve().parents[2]


def random_events(rng: np.random.Generator, n: int, people: int, *, start, end) -> list[Event]:
    """`n` events by `people` people between `start` and `end`, stored now."""
    span = (end - start).total_seconds()
    rows = []
    for _ in range(n):
        who = int(rng.zipf(1.5)) % people
        at = start + timedelta(seconds=float(rng.uniform(0, span)))
        kind = rng.choice(["impression", "click", "cart_add", "purchase", "view"])
        product = f"p{int(rng.integers(0, 12))}"
        placement = (
            str(rng.choice(["for_you", "similar"])) if kind in ("impression", "click") else ""
        )
        price = None
        if kind in ("purchase", "cart_add"):
            price = Decimal(str(round(float(rng.lognormal(3, 1)), 2)))
        rows.append(
            Event(
                event_id=uuid.uuid4().hex,
                type=kind,
                visitor_id=f"{who:032x}",
                customer_id=str(who) if who % 4 == 0 else "",
                product_id=product,
                placement=placement,
                price=price,
                quantity=int(rng.integers(1, 3)),
                order_id=f"o{who}-{int(rng.integers(0, 3))}" if kind == "purchase" else "",
                currency="EUR" if kind == "purchase" else "",
                occurred_at=at,
            )
        )
    Event.objects.bulk_create(rows)
    return rows


def assert_same(experiment) -> None:
    rolled = analyse(experiment)
    scanned = analyse(experiment, scan=True)
    assert rolled.control == scanned.control
    assert rolled.treatment == scanned.treatment
    assert rolled.estimates == scanned.estimates
    assert rolled.srm == scanned.srm
    assert rolled.decision == scanned.decision


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_rollup_analysis_equals_event_scan_on_random_data(seed):
    rng = np.random.default_rng(seed)
    now = timezone.now()
    experiment = running_experiment(holdout_percent=40, started_at=now - 20 * DAY)
    start = experiment.started_at
    random_events(rng, 300, 60, start=start - 30 * DAY, end=start)  # pre-period
    random_events(rng, 400, 60, start=start, end=now - 10 * DAY)
    assert_same(experiment)  # the first build: one full scan
    assert ExposedPerson.objects.filter(experiment=experiment).exists()
    for _ in range(3):  # new traffic, then late-stored events from earlier days
        random_events(rng, 150, 80, start=now - 10 * DAY, end=now - timedelta(minutes=1))
        assert_same(experiment)
        random_events(rng, 60, 80, start=start - 5 * DAY, end=start + 5 * DAY)
        assert_same(experiment)


def test_rows_are_recounted_only_for_people_with_new_events():
    rng = np.random.default_rng(7)
    now = timezone.now()
    experiment = running_experiment(started_at=now - 5 * DAY)
    random_events(rng, 300, 40, start=experiment.started_at, end=now - DAY)
    person_rollup.refresh(experiment, now)
    lag = person_rollup.LAG
    person_rollup.refresh(experiment, now + 2 * lag)  # re-reads the last LAG: harmless
    assert person_rollup.refresh(experiment, now + 4 * lag) == 0  # nothing new is stored
    Event.objects.create(
        event_id=uuid.uuid4().hex,
        type="impression",
        visitor_id="f" * 32,
        placement="for_you",
        product_id="p1",
        occurred_at=now - timedelta(minutes=5),
        stored_at=now + 4 * lag + timedelta(seconds=1),
    )
    assert person_rollup.refresh(experiment, now + 6 * lag) == 1  # just that person
    assert ExposedPerson.objects.filter(person=person_rollup.digest("f" * 32)).exists()


def test_a_merge_a_pin_and_an_edit_keep_the_rollup_exact():
    rng = np.random.default_rng(11)
    now = timezone.now()
    experiment = running_experiment(holdout_percent=50, started_at=now - 8 * DAY)
    random_events(rng, 400, 30, start=experiment.started_at - 10 * DAY, end=now - DAY)
    anonymous = next(
        v
        for v in Event.objects.filter(customer_id="", placement="for_you").values_list(
            "visitor_id", flat=True
        )
    )
    assert_same(experiment)
    merge_visitor(anonymous, "new-customer")  # stored events change, none is stored
    assert StalePerson.objects.filter(experiment=experiment).count() == 2
    assert_same(experiment)
    assert not StalePerson.objects.filter(experiment=experiment).exists()
    pinned = "new-customer"
    current = Enrollment.objects.filter(experiment=experiment, person=pin_digest(pinned)).first()
    flipped = CONTROL if current is None or current.arm == TREATMENT else TREATMENT
    Enrollment.objects.update_or_create(
        experiment=experiment, person=pin_digest(pinned), defaults={"arm": flipped}
    )
    assert_same(experiment)
    experiment.holdout_percent = 20
    experiment.attribution_days = 2
    experiment.save()
    assert_same(experiment)


def test_erasure_removes_the_shoppers_rows_and_the_rollup_stays_exact():
    rng = np.random.default_rng(5)
    now = timezone.now()
    experiment = running_experiment(started_at=now - 8 * DAY)
    random_events(rng, 300, 20, start=experiment.started_at, end=now - DAY)
    assert_same(experiment)
    visitor = Event.objects.filter(customer_id="", placement="for_you").values_list(
        "visitor_id", flat=True
    )[0]
    erase(visitor_id=visitor, customer_id=None)
    assert not ExposedPerson.objects.filter(person=person_rollup.digest(visitor)).exists()
    assert_same(experiment)


def test_rows_hold_digests_never_ids():
    rng = np.random.default_rng(3)
    now = timezone.now()
    experiment = running_experiment(started_at=now - 8 * DAY)
    rows = random_events(rng, 200, 20, start=experiment.started_at, end=now - DAY)
    person_rollup.refresh(experiment)
    stored = set(ExposedPerson.objects.values_list("person", flat=True))
    ids = {r.visitor_id for r in rows} | {subjects.customer(r.customer_id) for r in rows}
    ids |= {r.customer_id for r in rows if r.customer_id}
    assert stored and not stored & ids


@pytest.mark.slow
@pytest.mark.parametrize("vendor", ["postgres", "sqlite"])
def test_concurrent_refreshes_leave_exact_rows(vendor, tmp_path):
    """Four processes refresh while events keep arriving: the rows end exact, and no
    refresh fails (they take turns on the experiment's roll-up row)."""
    run = subprocess.run(
        [sys.executable, "-m", "tests.experiments.rollup_race", vendor, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["exit_codes"] == [0, 0, 0, 0], run.stderr[-3000:]
    assert result["people"] > 0
    assert result["same"]


def test_the_command_brings_running_experiments_up_to_date_and_rebuilds():
    from django.core.management import call_command

    rng = np.random.default_rng(13)
    now = timezone.now()
    experiment = running_experiment(started_at=now - 8 * DAY)
    random_events(rng, 200, 30, start=experiment.started_at, end=now - DAY)
    call_command("personalization_experiment_rollup", stdout=io.StringIO())
    built = ExposedPerson.objects.filter(experiment=experiment).count()
    assert built > 0
    ExposedPerson.objects.filter(experiment=experiment).update(impressions=999)  # damaged
    call_command("personalization_experiment_rollup", "--rebuild", stdout=io.StringIO())
    assert not ExposedPerson.objects.filter(experiment=experiment, impressions=999).exists()
    assert ExposedPerson.objects.filter(experiment=experiment).count() == built
    assert_same(experiment)
