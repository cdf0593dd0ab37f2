"""Train and evaluate the scores on a time split, and store the models.

With horizon H days and the newest event at `end`:
    evaluation: features at T1 = end - 2H, labels from (T1, T1 + H]; tested at T2 = end - H
                with labels from (T2, end]: AUC of a model that never saw the test period;
    shipped:    refit at T2 (the most recent complete label window), stored with that AUC.

Churn risk is learnt over customers who had ordered before the cutoff (label: no order in
the next H days); purchase propensity over every shopper active in the 30 days before the
cutoff (label: an order in the next H days). Each is compared with a one-feature baseline
(days since last order; active days) so the AUC means something.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from personalization_plugin.core.exceptions import NotEnoughData
from personalization_plugin.profiles.profile import day_of
from personalization_plugin.scores import model as logistic
from personalization_plugin.scores.features import (
    FEATURES,
    EventArrays,
    bought_between,
    from_events,
)

DAY = 86400.0
DEFAULT_HORIZON_DAYS = 21
MIN_EXAMPLES = 20


@dataclass
class Split:
    x: np.ndarray
    y: np.ndarray


def _split(kind: str, events: EventArrays, cutoff: float, horizon: float) -> Split:
    x = from_events(events, cutoff, day_of(cutoff))
    bought = bought_between(events, cutoff, cutoff + horizon)
    if kind == "churn_risk":
        members = x[:, FEATURES.index("buyer")] > 0
        y = ~bought
    else:
        members = x[:, FEATURES.index("active_30d")] > 0
        y = bought
    return Split(x[members], y[members])


def _baseline(kind: str, x: np.ndarray) -> np.ndarray:
    if kind == "churn_risk":
        return x[:, FEATURES.index("recency")]
    return x[:, FEATURES.index("active_30d")]


def _check(name: str, split: Split) -> None:
    if len(split.y) < MIN_EXAMPLES:
        raise NotEnoughData(f"{name}: only {len(split.y)} shoppers (need {MIN_EXAMPLES}).")
    if split.y.all() or not split.y.any():
        raise NotEnoughData(f"{name}: every shopper had the same outcome; wait for more history.")


def evaluate_kind(
    kind: str, events: EventArrays, horizon_days: int
) -> tuple[dict[str, Any], logistic.LogisticModel]:
    """Metrics of the time-split evaluation, and the model refit on the latest window."""
    horizon = horizon_days * DAY
    end = float(events.ts.max())
    t2 = end - horizon
    t1 = t2 - horizon
    train, test = _split(kind, events, t1, horizon), _split(kind, events, t2, horizon)
    _check("training window", train)
    _check("test window", test)
    fitted = logistic.fit(train.x, train.y)
    metrics = {
        "auc": logistic.auc(test.y, fitted.predict(test.x)),
        "baseline_auc": logistic.auc(test.y, _baseline(kind, test.x)),
        "train_size": int(len(train.y)),
        "test_size": int(len(test.y)),
        "test_positive_rate": round(float(test.y.mean()), 4),
        "horizon_days": horizon_days,
        "train_cutoff": datetime.fromtimestamp(t1, tz=UTC).isoformat(),
        "test_cutoff": datetime.fromtimestamp(t2, tz=UTC).isoformat(),
    }
    metrics = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in metrics.items()}
    return metrics, logistic.fit(test.x, test.y)


def train(
    horizon_days: int = DEFAULT_HORIZON_DAYS, *, save: bool = True
) -> dict[str, dict[str, Any]]:
    """Evaluate and (with `save`) store both scores. Per kind: metrics, or {"error": message}."""
    from personalization_plugin.scores.models import ScoreModel

    events = EventArrays.load()
    results: dict[str, dict[str, Any]] = {}
    for kind in ScoreModel.Kind.values:
        if not len(events.ts):
            results[kind] = {"error": "No stored events yet."}
            continue
        try:
            metrics, fitted = evaluate_kind(kind, events, horizon_days)
        except NotEnoughData as exc:
            results[kind] = {"error": str(exc)}
            continue
        results[kind] = metrics
        if save:
            ScoreModel.objects.create(kind=kind, metrics=metrics, **logistic.to_row_values(fitted))
    if save:
        logistic.forget()
    return results
