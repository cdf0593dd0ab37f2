"""Fit everything one served model needs, as a flat dict of numpy arrays.

This is the single recipe used by training (on all events) and by offline evaluation
(on the training part of a split), so the figures evaluation reports are those of the
model that is served.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from personalization_plugin.engine import cooccurrence
from personalization_plugin.engine.algorithms import make
from personalization_plugin.engine.algorithms.base import sparse_to_arrays
from personalization_plugin.engine.algorithms.factors import FactorModel, WarmStart
from personalization_plugin.engine.algorithms.neighbours import EASE, ItemKNN, keep_top_k
from personalization_plugin.engine.catalog import CatalogSnapshot, catalog_arrays
from personalization_plugin.engine.interactions import Interactions, event_weights


@dataclass
class BuildParams:
    """Model settings. The defaults are the shipped defaults (see readme-engine.md).

    The served score for a subject is a blend of min-max normalised parts: the
    collaborative core (`algorithm`; weight `w_core`, or `w_core_with_ease` when EASE
    is fitted), EASE when the catalog has at most `ease_max_items` products (else item-kNN
    over the history, `w_neighbours`), session
    item-to-item from recent items (neighbours + viewed together, and "viewed next"
    sequential rules; recency weighted) and a small popularity prior.
    """

    algorithm: str = "als"
    factors: int = 64
    iterations: int = 15
    # iterations when ALS/BPR starts from the previous model's factors (see training)
    warm_start_iterations: int = 5
    regularization: float = 0.05
    alpha: float = 1.0
    neighbours: int = 50
    shrink: float = 1.0
    # EASE inverts a dense items x items matrix (cost ~ items^3; benchmarks/train.py
    # shows it dominating training at 5,000 items). A 3,000 limit was measured to cost
    # REES46 (5,884 items) a fifth of its NDCG@10, so the limit stays where accuracy pays
    # for the time; the per-store search still weighs EASE against RP3beta and kNN.
    ease_max_items: int = 10_000
    ease_l2: float = 200.0
    ease_k: int = 200
    w_core: float = 1.0
    # EASE subsumes the factor model on small catalogs (measured on all three data sets)
    w_core_with_ease: float = 0.0
    w_ease: float = 1.0
    # item-kNN on the whole history: only without EASE, which already covers it
    w_neighbours: float = 1.0
    w_session: float = 1.0
    w_sequence: float = 1.0
    w_pop: float = 0.05
    # parts the fixed recipe leaves out; the per-store search may weigh them in
    w_bought: float = 0.0
    w_trending: float = 0.0
    w_neighbours_with_ease: float = 0.0
    # RP3beta as the core: walk sharpening and popularity damping
    rp3_alpha: float = 1.0
    rp3_beta: float = 0.5
    recency_decay: float = 0.5
    trending_half_life_hours: float = 24.0

    @classmethod
    def from_settings(cls, algorithm: str | None = None, **overrides: Any) -> BuildParams:
        from personalization_plugin.core.conf import plugin_settings as s

        values: dict[str, Any] = {
            "algorithm": algorithm or s.ALGORITHM,
            "factors": s.FACTORS,
            "iterations": s.ITERATIONS,
            "warm_start_iterations": s.WARM_START_ITERATIONS,
            "regularization": s.REGULARIZATION,
            "alpha": s.ALPHA,
            "trending_half_life_hours": s.TRENDING_HALF_LIFE_HOURS,
        }
        values.update(overrides)
        return cls(**values)

    def core_params(self, warm: bool = False) -> dict[str, Any]:
        """Parameters of the collaborative core; `warm` (starting from earlier factors)
        runs `warm_start_iterations` instead of `iterations` (BPR scaled alike)."""
        if self.algorithm in ("als", "bpr"):
            return {
                "factors": self.factors,
                "iterations": self.core_iterations(warm),
                "regularization": self.regularization,
                "alpha": self.alpha,
            }
        if self.algorithm == "rp3beta":
            return {"k": self.neighbours * 2, "alpha": self.rp3_alpha, "beta": self.rp3_beta}
        return {"k": self.neighbours * 2}

    def core_iterations(self, warm: bool = False) -> int:
        if self.algorithm == "als":
            return self.warm_start_iterations if warm else self.iterations
        # BPR's SGD epochs: at least 100 cold, and the same fraction of that when warm
        cold = max(self.iterations, 100)
        return cold * self.warm_start_iterations // max(self.iterations, 1) if warm else cold

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def build_arrays(
    data: Interactions,
    params: BuildParams,
    snapshot: CatalogSnapshot | None = None,
    *,
    now: float | None = None,
    progress: bool = False,
    prefit_ease: EASE | None = None,
    warm_start: WarmStart | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Fit the core model and every lookup table; returns (arrays, info) where info
    holds per-part timings and what was fitted. `prefit_ease` reuses an EASE model
    fitted on the same matrix (evaluation fits it once for the baseline too);
    `warm_start` starts an ALS/BPR core from earlier factors (ignored otherwise)."""
    info: dict[str, Any] = {"timings": {}}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        info["timings"][name] = round(time.perf_counter() - clock, 3)
        clock = time.perf_counter()

    arrays: dict[str, np.ndarray] = {"subject_ids": data.subject_ids, "item_ids": data.item_ids}
    arrays.update(sparse_to_arrays("history", data.matrix))
    warm = warm_start if params.algorithm in ("als", "bpr") else None
    core = make(params.algorithm, **params.core_params(warm=warm is not None))
    if isinstance(core, FactorModel):
        core.warm_start = warm
    core.fit(data.matrix, progress=progress)
    info["warm_start_from"] = warm.from_version if warm is not None else None
    info["core_iterations"] = (
        params.core_iterations(warm is not None) if isinstance(core, FactorModel) else None
    )
    arrays.update({f"core_{k}": v for k, v in core.to_arrays().items()})
    lap("core")

    knn = ItemKNN(k=params.neighbours).fit(data.matrix)
    arrays.update(
        sparse_to_arrays("similar", cooccurrence.top_k_rows(knn.similarity, params.neighbours))
    )
    lap("neighbours")

    info["ease"] = 0 < data.n_items <= params.ease_max_items
    if info["ease"]:
        if prefit_ease is not None and prefit_ease.dense is not None:
            similarity = keep_top_k(prefit_ease.dense, params.ease_k)
        else:
            similarity = EASE(l2=params.ease_l2, k=params.ease_k).fit(data.matrix).similarity
        arrays.update(sparse_to_arrays("ease", similarity))
        lap("ease")

    arrays.update(
        sparse_to_arrays(
            "bought", cooccurrence.bought_together(data, params.neighbours, params.shrink)
        )
    )
    arrays.update(
        sparse_to_arrays(
            "viewed", cooccurrence.viewed_together(data, params.neighbours, params.shrink)
        )
    )
    arrays.update(sparse_to_arrays("followed", cooccurrence.followed_by(data, params.neighbours)))
    lap("cooccurrence")

    arrays.update(_popularity(data, params, now))
    arrays.update(catalog_arrays(snapshot or CatalogSnapshot(), data.item_ids))
    lap("popularity_catalog")
    return arrays, info


def _popularity(
    data: Interactions, params: BuildParams, now: float | None
) -> dict[str, np.ndarray]:
    """Popularity (distinct subjects per item, saturated weights) and time-decayed trending."""
    popularity = np.asarray(data.matrix.sum(axis=0), dtype=np.float32).ravel()
    if now is None:  # trending is relative to the newest event, so old logs still trend
        now = float(data.log.timestamp.max()) if len(data.log) else time.time()
    weights = event_weights(
        data.log,
        {t: 1.0 for t in ("view", "click", "cart_add", "checkout", "purchase")},
        params.trending_half_life_hours / 24.0,
        now,
    )
    trending = np.bincount(data.item_index, weights=weights, minlength=data.n_items).astype(
        np.float32
    )
    return {"popularity": popularity, "trending": trending}
