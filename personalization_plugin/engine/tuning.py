"""A small, honest grid search: candidates are scored on a validation split carved
from the *training* part (its last 10% of time), never on the test part.

It is a coordinate search (one setting at a time, keeping the best so far), so it costs
a dozen fits rather than the product of all grids. Factor-model settings are searched
only when the catalog is too large for EASE, because otherwise the factor model has no
weight in the served blend and its settings cannot change a recommendation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from personalization_plugin.core.conf import DEFAULTS
from personalization_plugin.engine.builder import BuildParams
from personalization_plugin.engine.evaluation import Split, evaluate_shipped, time_split

WEIGHT_PRESETS: dict[str, dict[str, float]] = {
    "default": dict(DEFAULTS["EVENT_WEIGHTS"]),
    "purchase_heavy": {
        "view": 1.0,
        "click": 2.0,
        "cart_add": 8.0,
        "cart_remove": -4.0,
        "checkout": 8.0,
        "purchase": 30.0,
    },
    "flat": {
        "view": 1.0,
        "click": 1.0,
        "cart_add": 1.0,
        "cart_remove": 0.0,
        "checkout": 1.0,
        "purchase": 1.0,
    },
}
HALF_LIVES: list[float | None] = [None, 7.0, 30.0, 90.0]
CORE_GRID: dict[str, list[Any]] = {
    "factors": [32, 64, 128],
    "regularization": [0.01, 0.05, 0.1],
    "alpha": [1.0, 5.0, 20.0],
    "iterations": [15, 30],
}


def tune(
    split: Split,
    params: BuildParams,
    weights: Mapping[str, float],
    half_life_days: float | None,
    *,
    metric: str = "ndcg@10",
    report: Callable[[str], None] = lambda line: None,
) -> dict[str, Any]:
    """Best settings found, as {"settings": PERSONALIZATION values, "score", "trials"}."""
    validation = time_split(split.train, test_fraction=0.1)
    if validation is None:
        raise ValueError("The training part is too small to carve a validation split from.")
    trials: list[dict[str, Any]] = []

    def score(p: BuildParams, w: Mapping[str, float], hl: float | None, label: str) -> float:
        value = float(evaluate_shipped(validation, p, w, hl).get(metric, 0.0))
        trials.append({"trial": label, metric: round(value, 5)})
        report(f"  {label:40s} {metric} {value:.4f}")
        return value

    best_w, best_hl, best_p = dict(weights), half_life_days, params
    best = score(best_p, best_w, best_hl, "current settings")
    for name, preset in WEIGHT_PRESETS.items():
        if (
            preset != best_w
            and (s := score(best_p, preset, best_hl, f"EVENT_WEIGHTS={name}")) > best
        ):
            best, best_w = s, dict(preset)
    for hl in HALF_LIVES:
        if hl != best_hl and (s := score(best_p, best_w, hl, f"HALF_LIFE_DAYS={hl}")) > best:
            best, best_hl = s, hl
    n_items = len(set(validation.train.item.tolist()))
    if n_items > params.ease_max_items or params.w_core_with_ease:
        for field, values in CORE_GRID.items():
            for value in values:
                if getattr(best_p, field) == value:
                    continue
                candidate = replace(best_p, **{field: value})
                if (s := score(candidate, best_w, best_hl, f"{field.upper()}={value}")) > best:
                    best, best_p = s, candidate
    else:
        report(
            "  (catalog small enough for EASE: the factor model has no weight, its settings are not searched)"
        )
    settings = {
        "EVENT_WEIGHTS": best_w,
        "HALF_LIFE_DAYS": best_hl,
        "FACTORS": best_p.factors,
        "REGULARIZATION": best_p.regularization,
        "ALPHA": best_p.alpha,
        "ITERATIONS": best_p.iterations,
    }
    return {"settings": settings, "metric": metric, "score": round(best, 5), "trials": trials}
