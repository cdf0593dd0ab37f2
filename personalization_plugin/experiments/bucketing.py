"""Which arm a visitor is in: a hash of experiment id and visitor id, nothing stored.

The same visitor always lands in the same arm of an experiment (sticky across requests,
processes and servers), different experiments split independently, and analysis can
re-derive every visitor's arm from the stored events alone.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from personalization_plugin.core.reloading import Reloaded
from personalization_plugin.experiments.models import Experiment
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
    """Boolean array: True where the visitor is in the control arm (for analysis)."""
    ids = list(visitor_ids)
    buckets = np.fromiter((bucket(experiment_id, v) for v in ids), dtype=float, count=len(ids))
    return buckets < holdout_percent / 100.0


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
    After an experiment is shipped everyone gets the winning arm.
    """
    live = live_experiments().get(placement)
    if live is None:
        return None
    if live.shipped_arm:
        return live.arm(live.shipped_arm)
    if visitor is None or not visitor.visitor_id or not visitor.can_personalize:
        return None
    visitor_id = visitor.visitor_id
    return live.arm(arm_name(live.id, visitor_id, live.holdout))
