"""Which arm a person is in: a hash of experiment id and person, plus pins at sign-in.

The unit is the person: a signed-in customer is bucketed by customer id (so every
device agrees), an anonymous visitor by visitor id. When a visitor signs in, the arm
they were already served is pinned to the customer (`Enrollment`, keyed by a digest of
the customer), so the switch from anonymous to signed-in never changes a person's arm.
The same person always lands in the same arm (sticky across requests, processes and
servers), different experiments split independently, and analysis re-derives every
person's arm from the stored events and the pins alone (`arms_for`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from personalization_plugin.core import subjects
from personalization_plugin.core.reloading import Reloaded
from personalization_plugin.experiments.models import Enrollment, Experiment
from personalization_plugin.tracking.identity import Visitor

CONTROL = "control"
TREATMENT = "treatment"
REFRESH_SECONDS = 5.0
_SCALE = float(2**64)


@dataclass(frozen=True)
class Arm:
    """The arm of one experiment a visitor is served."""

    experiment_id: int
    name: str  # CONTROL or TREATMENT
    strategy: str  # Experiment.Strategy value
    model_version: str = ""  # the challenger model version, for the challenger strategy

    @property
    def serves_baseline(self) -> bool:
        """True when this arm gets the non-personalized popular/trending list."""
        return self.strategy == Experiment.Strategy.BASELINE

    def model(self) -> Any:
        """The challenger's loaded ServingModel, or None (no challenger, or not loadable)."""
        if not self.model_version:
            return None
        from personalization_plugin.experiments.challengers import challenger_model

        return challenger_model(self.model_version)


@dataclass(frozen=True)
class _Live:
    """A plain copy of a running or shipped experiment (safe to share across threads)."""

    id: int
    placement: str
    holdout: float
    control: str
    treatment: str
    shipped_arm: str  # "" while running
    challenger: str = ""

    def arm(self, name: str) -> Arm:
        strategy = self.control if name == CONTROL else self.treatment
        version = self.challenger if strategy == Experiment.Strategy.CHALLENGER else ""
        return Arm(self.id, name, strategy, version)


def bucket(experiment_id: int, visitor_id: str) -> float:
    """A number in [0, 1), uniform over visitors and fixed for (experiment, visitor)."""
    digest = hashlib.blake2b(f"{experiment_id}:{visitor_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / _SCALE


def arm_name(experiment_id: int, visitor_id: str, holdout_percent: float) -> str:
    return CONTROL if bucket(experiment_id, visitor_id) < holdout_percent / 100.0 else TREATMENT


def arms_of(experiment_id: int, visitor_ids: Iterable[str], holdout_percent: float) -> np.ndarray:
    """Boolean array: True where the key is in the control arm by its hash (no pins)."""
    ids = list(visitor_ids)
    buckets = np.fromiter((bucket(experiment_id, v) for v in ids), dtype=float, count=len(ids))
    return buckets < holdout_percent / 100.0


def person_key(visitor_id: str, customer_id: str = "") -> str:
    """What a person is bucketed by: "c:<customer id>" when signed in, else the visitor id.

    Visitor ids are 32 hex characters and never start with "c:", so the two cannot clash.
    """
    return subjects.customer(customer_id) if customer_id else visitor_id


def pin_digest(customer_id: str) -> str:
    """The stored name of a customer in `Enrollment` (a keyed digest, not the id)."""
    return subjects.digest(subjects.customer(customer_id), purpose="experiment")


def pins(experiment_id: int) -> dict[str, str]:
    """Pinned arms of an experiment: digest of the customer -> arm."""
    return dict(Enrollment.objects.filter(experiment_id=experiment_id).values_list("person", "arm"))


def arms_for(experiment_id: int, keys: Iterable[str], holdout_percent: float) -> np.ndarray:
    """Boolean array over person keys (`person_key`): True where the person is in control.

    Customers with a pin get the pinned arm, everyone else the hash of their key, which
    is exactly what `assign` served them.
    """
    ids = list(keys)
    in_control = arms_of(experiment_id, ids, holdout_percent)
    pinned = pins(experiment_id)
    if pinned:
        prefix = subjects.customer("")
        for i, key in enumerate(ids):
            if key.startswith(prefix):
                arm = pinned.get(pin_digest(key[len(prefix) :]))
                if arm is not None:
                    in_control[i] = arm == CONTROL
    return in_control


def carry_over(visitor_id: str, customer_id: str) -> int:
    """On sign-in: pin the arm the anonymous visitor had to the customer, for every
    running experiment where the customer has no pin yet (the first device wins, so a
    second device does not move the person). Returns how many pins were written."""
    if not visitor_id or not customer_id:
        return 0
    person = pin_digest(customer_id)
    written = 0
    for live in live_experiments().values():
        if live.shipped_arm:
            continue
        _, created = Enrollment.objects.get_or_create(
            experiment_id=live.id,
            person=person,
            defaults={"arm": arm_name(live.id, visitor_id, live.holdout)},
        )
        written += int(created)
    return written


def _pinned_arm(experiment_id: int, customer_id: str) -> str | None:
    return (
        Enrollment.objects.filter(experiment_id=experiment_id, person=pin_digest(customer_id))
        .values_list("arm", flat=True)
        .first()
    )


def _load() -> dict[str, _Live]:
    rows = Experiment.objects.filter(
        status__in=[Experiment.Status.RUNNING, Experiment.Status.SHIPPED]
    ).order_by("created_at")
    return {
        e.placement: _Live(
            id=e.pk,
            placement=e.placement,
            holdout=float(e.holdout_percent),
            control=e.control_strategy,
            treatment=e.treatment_strategy,
            shipped_arm=e.winner if e.status == Experiment.Status.SHIPPED else "",
            challenger=e.challenger_version,
        )
        for e in rows
    }


_live: Reloaded[dict[str, _Live]] = Reloaded(
    _load,
    seconds=REFRESH_SECONDS,
    empty={},
    what="experiments",
    logger=logging.getLogger("personalization_plugin.experiments"),
)


def live_experiments() -> dict[str, _Live]:
    """Running and shipped experiments by placement, re-read every REFRESH_SECONDS."""
    return _live.get()


def forget(**kwargs: Any) -> None:
    """Re-read experiments on next use (and drop loaded challenger models)."""
    _live.forget()
    from personalization_plugin.experiments.challengers import forget as forget_challengers

    forget_challengers()


def assign(visitor: Visitor | None, placement: str) -> Arm | None:
    """The arm `visitor` gets on `placement`, or None when no experiment applies.

    Only visitors whose history may be used take part: the others get the
    non-personalized list anyway and are never tracked, so they could not be measured.
    After an experiment is shipped everyone gets the winning arm. A signed-in
    customer gets their pinned arm (one indexed read), else the hash of the customer id.
    """
    live = live_experiments().get(placement)
    if live is None:
        return None
    if live.shipped_arm:
        return live.arm(live.shipped_arm)
    if visitor is None or not visitor.visitor_id or not visitor.can_personalize:
        return None
    if visitor.customer_id:
        pinned = _pinned_arm(live.id, visitor.customer_id)
        if pinned in (CONTROL, TREATMENT):
            return live.arm(pinned)
    key = person_key(visitor.visitor_id, visitor.customer_id)
    return live.arm(arm_name(live.id, key, live.holdout))
