"""Bucketing: deterministic, sticky, independent per experiment, near the holdout share."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from personalization_plugin.experiments.bucketing import (
    CONTROL,
    TREATMENT,
    arm_name,
    arms_for,
    arms_of,
    assign,
    bucket,
    person_key,
)
from personalization_plugin.experiments.models import Enrollment, Experiment
from personalization_plugin.tracking.identity import Visitor

from .factories import running_experiment

IDS = [f"visitor-{i}" for i in range(10_000)]


def test_bucket_is_the_same_number_every_time():
    assert bucket(7, "abc") == bucket(7, "abc")
    assert 0.0 <= bucket(7, "abc") < 1.0


def test_split_is_near_the_holdout_percentage_over_10k_visitors():
    in_control = arms_of(3, IDS, holdout_percent=10)
    share = in_control.mean()
    # 10k Bernoulli(0.1) draws: standard error 0.003, so 0.1 +- 0.012 is four of them.
    assert 0.088 < share < 0.112


def test_array_and_single_assignment_agree():
    in_control = arms_of(3, IDS[:500], holdout_percent=30)
    singles = np.array([arm_name(3, v, 30) == CONTROL for v in IDS[:500]])
    assert (in_control == singles).all()


def test_different_experiments_split_independently():
    a = arms_of(1, IDS, 50)
    b = arms_of(2, IDS, 50)
    both = (a & b).mean()
    assert 0.22 < both < 0.28  # independent halves overlap in about a quarter


@pytest.mark.django_db
def test_assign_is_sticky_for_a_visitor():
    experiment = running_experiment(holdout_percent=30)
    visitor = Visitor(visitor_id="sticky-1")
    arms = {assign(visitor, "for_you") for _ in range(20)}
    assert len(arms) == 1
    arm = arms.pop()
    assert arm.experiment_id == experiment.pk
    assert arm.name == arm_name(experiment.pk, "sticky-1", 30)


@pytest.mark.django_db
def test_control_arm_serves_the_baseline_strategy():
    experiment = running_experiment(holdout_percent=50)
    arms = {assign(Visitor(visitor_id=v), "for_you") for v in IDS[:50]}
    by_name = {a.name: a for a in arms}
    assert by_name[CONTROL].serves_baseline
    assert by_name[CONTROL].strategy == Experiment.Strategy.BASELINE
    assert not by_name[TREATMENT].serves_baseline
    assert experiment.pk == by_name[TREATMENT].experiment_id


@pytest.mark.django_db
def test_no_arm_on_other_placements_or_without_a_running_experiment():
    running_experiment(status=Experiment.Status.DRAFT)
    visitor = Visitor(visitor_id="x")
    assert assign(visitor, "for_you") is None
    running_experiment(placement="cart")
    assert assign(visitor, "for_you") is None
    assert assign(visitor, "cart") is not None


@pytest.mark.django_db
def test_visitors_who_may_not_be_personalized_are_left_out():
    running_experiment()
    visitor = Visitor(visitor_id="declined", consent="denied")
    assert assign(visitor, "for_you") is None
    assert assign(None, "for_you") is None


@pytest.mark.django_db
def test_a_shipped_experiment_gives_everyone_the_winner():
    running_experiment(
        status=Experiment.Status.SHIPPED,
        winner=CONTROL,
        ended_at=timezone.now() - timedelta(minutes=1),
    )
    arms = {assign(Visitor(visitor_id=v), "for_you") for v in IDS[:40]}
    assert {a.name for a in arms} == {CONTROL}
    assert all(a.serves_baseline for a in arms)


@pytest.mark.django_db
def test_stopping_an_experiment_takes_effect_at_once():
    experiment = running_experiment()
    visitor = Visitor(visitor_id="x")
    assert assign(visitor, "for_you") is not None
    experiment.status = Experiment.Status.STOPPED
    experiment.save()
    assert assign(visitor, "for_you") is None


@pytest.mark.django_db
def test_a_signed_in_customer_gets_one_arm_on_every_device():
    experiment = running_experiment(holdout_percent=50)
    for customer in (f"cust-{i}" for i in range(40)):
        phone = Visitor(visitor_id=f"{customer}-phone", customer_id=customer)
        laptop = Visitor(visitor_id=f"{customer}-laptop", customer_id=customer)
        arm = assign(phone, "for_you")
        assert arm == assign(laptop, "for_you")
        assert arm.name == arm_name(experiment.pk, person_key("", customer), 50)


@pytest.mark.django_db
def test_an_anonymous_visitor_who_signs_in_keeps_their_arm_on_every_device():
    from personalization_plugin.tracking.identity import merge_visitor

    experiment = running_experiment(holdout_percent=50)
    # Anonymous visitors whose own arm differs from what their customer id would hash
    # to, so keeping the arm needs the carry-over, not luck.
    moved = [
        (f"anon-{i}", f"buyer-{i}")
        for i in range(200)
        if arm_name(experiment.pk, f"anon-{i}", 50)
        != arm_name(experiment.pk, person_key("", f"buyer-{i}"), 50)
    ][:10]
    assert len(moved) == 10
    for visitor_id, customer_id in moved:
        before = assign(Visitor(visitor_id=visitor_id), "for_you")
        merge_visitor(visitor_id, customer_id)  # the login
        after = assign(Visitor(visitor_id=visitor_id, customer_id=customer_id), "for_you")
        other_device = assign(Visitor(visitor_id="tablet", customer_id=customer_id), "for_you")
        assert before.name == after.name == other_device.name
        # Signing in again from the tablet does not move the person either.
        merge_visitor("tablet", customer_id)
        assert assign(Visitor(visitor_id="x", customer_id=customer_id), "for_you") == after
    # Analysis re-derives the same arms from the pins, and the pin names no customer.
    keys = [person_key("", c) for _, c in moved]
    in_control = arms_for(experiment.pk, keys, 50)
    assert [CONTROL if c else TREATMENT for c in in_control] == [
        assign(Visitor(visitor_id=v), "for_you").name for v, _ in moved
    ]
    stored = set(Enrollment.objects.values_list("person", flat=True))
    assert not any(c in p for _, c in moved for p in stored)
