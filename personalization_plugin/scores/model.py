"""Logistic regression by Newton's method (numpy), AUC, and scoring one profile.

A handful of Newton steps with a small L2 penalty converge on these few standardized
features; the coefficients are readable ("more active days lower churn risk"), which is
why no heavier model is used.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import rankdata

from personalization_plugin.profiles.profile import Profile, day_of
from personalization_plugin.scores.features import FEATURES, from_profile

L2 = 1.0
MAX_STEPS = 25
CACHE_SECONDS = 60.0


@dataclass(frozen=True)
class LogisticModel:
    coefficients: np.ndarray
    intercept: float
    means: np.ndarray
    scales: np.ndarray

    def predict(self, x: np.ndarray) -> np.ndarray:
        z = ((x - self.means) / self.scales) @ self.coefficients + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -35.0, 35.0)))


def fit(x: np.ndarray, y: np.ndarray, l2: float = L2) -> LogisticModel:
    """Fit P(y=1|x) by Newton-Raphson (IRLS) on standardized features with an L2 penalty
    (the intercept is not penalized). Raises ValueError when y has a single class."""
    y = y.astype(np.float64)
    if y.min() == y.max():
        raise ValueError(
            "Both outcomes are needed to fit a score; every example had the same label."
        )
    means = x.mean(axis=0)
    scales = x.std(axis=0)
    scales[scales == 0] = 1.0
    design = np.column_stack([np.ones(len(x)), (x - means) / scales])
    weights = np.zeros(design.shape[1])
    penalty = np.full(design.shape[1], l2)
    penalty[0] = 0.0
    for _ in range(MAX_STEPS):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ weights, -35.0, 35.0)))
        gradient = design.T @ (p - y) + penalty * weights
        hessian = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        weights -= step
        if np.abs(step).max() < 1e-6:
            break
    return LogisticModel(weights[1:], float(weights[0]), means, scales)


def auc(y: np.ndarray, score: np.ndarray) -> float | None:
    """Area under the ROC curve (Mann-Whitney, ties averaged); None with a single class."""
    y = y.astype(bool)
    positives, negatives = int(y.sum()), int((~y).sum())
    if not positives or not negatives:
        return None
    ranks = rankdata(score)
    return float((ranks[y].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def to_row_values(model: LogisticModel) -> dict[str, Any]:
    return {
        "features": list(FEATURES),
        "coefficients": model.coefficients.round(6).tolist(),
        "intercept": round(model.intercept, 6),
        "means": model.means.round(6).tolist(),
        "scales": model.scales.round(6).tolist(),
    }


def from_row(row: Any) -> LogisticModel | None:
    if list(row.features) != list(FEATURES):
        return None  # trained on another feature set: retrain
    return LogisticModel(
        np.array(row.coefficients, dtype=np.float64),
        float(row.intercept),
        np.array(row.means, dtype=np.float64),
        np.array(row.scales, dtype=np.float64),
    )


def score_profile(model: LogisticModel, profile: Profile, now: float) -> float:
    """The score (0-1) of one cached profile at unix time `now`."""
    return float(model.predict(from_profile(profile, now, day_of(now))[None, :])[0])


_lock = threading.Lock()
_active: tuple[float, dict[str, LogisticModel]] | None = None


def active_models() -> dict[str, LogisticModel]:
    """The newest model of each kind, cached per process for a minute ({} before training)."""
    global _active
    now = time.monotonic()
    with _lock:
        if _active and _active[0] > now:
            return _active[1]
    from personalization_plugin.scores.models import ScoreModel

    found: dict[str, LogisticModel] = {}
    for kind in ScoreModel.Kind.values:
        row = ScoreModel.objects.filter(kind=kind).order_by("-trained_at", "-pk").first()
        loaded = from_row(row) if row else None
        if loaded is not None:
            found[kind] = loaded
    with _lock:
        _active = (now + CACHE_SECONDS, found)
    return found


def forget() -> None:
    global _active
    with _lock:
        _active = None


def metrics() -> dict[str, dict[str, Any]]:
    """Latest evaluation per score kind (AUC, baseline AUC, sizes, trained_at), for reports
    and the admin dashboard; {} before `personalization_scores` has run."""
    from personalization_plugin.scores.models import ScoreModel

    out: dict[str, dict[str, Any]] = {}
    for kind in ScoreModel.Kind.values:
        row = ScoreModel.objects.filter(kind=kind).order_by("-trained_at", "-pk").first()
        if row:
            out[kind] = {
                **row.metrics,
                "trained_at": row.trained_at.isoformat(),
                "coefficients": dict(zip(row.features, row.coefficients, strict=False)),
            }
    return out
