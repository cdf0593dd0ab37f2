"""The quality gate: a new model replaces the active one only if it is not clearly worse.

Retraining on a bad day's data (a bot burst, a broken tracking release, a half-imported
order history) can produce a model that ranks worse than the one serving. Training
compares the new model's holdout NDCG@10 with the active model's; a drop of more than
GATE_TOLERANCE (a share of the active figure) keeps the new version stored but not
active, and the decision, with both figures, is recorded in its metrics so the admin's
model page can show why.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

GATE_METRIC = "ndcg@10"


@dataclass(frozen=True)
class GateDecision:
    """Whether to activate, and the facts behind it (stored as `metrics["gate"]`).

    `reason` is a code the admin page turns into a translated sentence:
    "first_model", "no_metric", "active_has_no_metric", "not_worse", "worse", "forced".
    """

    activate: bool
    reason: str
    metric: str = GATE_METRIC
    new: float | None = None
    active: float | None = None
    active_version: str = ""
    tolerance: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        """One plain sentence for the command line and the log."""
        if self.reason == "worse":
            return (
                f"not activated: holdout {self.metric} {self.new:.3g} is more than "
                f"{self.tolerance:.0%} below the active model {self.active_version}'s "
                f"{self.active:.3g} (use --force to activate it anyway)"
            )
        return {
            "first_model": "activated: no model was active",
            "no_metric": "activated: no holdout metric to compare (too few events or --no-holdout)",
            "active_has_no_metric": "activated: the active model has no holdout metric",
            "forced": "activated on request (--force), without comparing",
            "not_worse": (
                f"activated: holdout {self.metric} {self.new or 0:.3g} against the active "
                f"model's {self.active or 0:.3g}"
            ),
        }[self.reason]


def decide(
    new_metrics: dict[str, Any],
    active_metrics: dict[str, Any] | None,
    *,
    active_version: str = "",
    tolerance: float = 0.05,
    force: bool = False,
) -> GateDecision:
    """The gate's decision for a new model given the active one's metrics (None: no
    active model). Missing figures never block: a store too small for a holdout still
    gets its models."""
    new = _figure(new_metrics)
    if force:
        return GateDecision(True, "forced", new=new, tolerance=tolerance)
    if active_metrics is None:
        return GateDecision(True, "first_model", new=new, tolerance=tolerance)
    active = _figure(active_metrics)

    def decision(activate: bool, reason: str) -> GateDecision:
        return GateDecision(activate, reason, GATE_METRIC, new, active, active_version, tolerance)

    if new is None:
        return decision(True, "no_metric")
    if active is None:
        return decision(True, "active_has_no_metric")
    if new < active * (1.0 - tolerance):
        return decision(False, "worse")
    return decision(True, "not_worse")


def _figure(metrics: dict[str, Any] | None) -> float | None:
    value = (metrics or {}).get(GATE_METRIC)
    return float(value) if isinstance(value, int | float) else None
