"""Matrix factorisation: implicit's ALS and BPR, fitted with BLAS pinned to one thread.

The fitted factors are kept as plain arrays; scoring and the real-time fold-in of a
subject's recent items are numpy (one 64 x 64 solve, well under a millisecond), so
serving needs no implicit model object at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from personalization_plugin.engine.algorithms.base import Recommender


def id_positions(old_ids: np.ndarray, new_ids: np.ndarray) -> np.ndarray:
    """For each id in `new_ids`, its row in `old_ids`, or -1 (vectorised: a sort and a
    binary search, no Python loop over the ids)."""
    out = np.full(len(new_ids), -1, dtype=np.int64)
    if len(old_ids) == 0 or len(new_ids) == 0:
        return out
    order = np.argsort(old_ids, kind="stable")
    ordered = old_ids[order]
    at = np.clip(np.searchsorted(ordered, new_ids), 0, len(ordered) - 1)
    found = ordered[at] == new_ids
    out[found] = order[at[found]]
    return out


@dataclass(frozen=True)
class WarmStart:
    """An earlier model's factors mapped onto a new matrix's rows and columns.

    `user_rows[i]` / `item_rows[j]` is the earlier row of the new matrix's subject i /
    item j, or -1 when it is new (it then gets implicit's own small random init).
    Subjects and items that vanished are simply not referenced."""

    user_factors: np.ndarray
    item_factors: np.ndarray
    user_rows: np.ndarray
    item_rows: np.ndarray
    from_version: str = ""

    @classmethod
    def align(
        cls,
        old_arrays: dict[str, np.ndarray],
        subject_ids: np.ndarray,
        item_ids: np.ndarray,
        from_version: str = "",
    ) -> WarmStart:
        """Map an artifact's `core_*_factors` (by subject key and product id) onto new ids."""
        return cls(
            user_factors=old_arrays["core_user_factors"],
            item_factors=old_arrays["core_item_factors"],
            user_rows=id_positions(old_arrays["subject_ids"], subject_ids),
            item_rows=id_positions(old_arrays["item_ids"], item_ids),
            from_version=from_version,
        )

    @property
    def known_items(self) -> int:
        return int((self.item_rows >= 0).sum())


class FactorModel(Recommender):
    """Shared scoring for factor models: score = user_factors @ item_factors.T.

    Set `warm_start` (a `WarmStart`) before `fit` to start from an earlier model's
    factors instead of random ones: implicit's CPU ALS and BPR only initialise the
    factors in `fit()` when they are None, so the mapped factors are set on the implicit
    model first and `fit` refines them (a few iterations are then enough)."""

    user_factors: np.ndarray
    item_factors: np.ndarray
    warm_start: WarmStart | None = None

    def _make(self) -> Any:
        raise NotImplementedError

    def fit(self, matrix: sp.csr_matrix, progress: bool = False) -> FactorModel:
        matrix = sp.csr_matrix(matrix, dtype=np.float32)
        with threadpool_limits(limits=1, user_api="blas"):
            model = self._make()
            if self.warm_start is not None:
                self._initialise(model, matrix, self.warm_start)
            model.fit(matrix, show_progress=progress)
        self.user_factors = np.ascontiguousarray(model.user_factors, dtype=np.float32)
        self.item_factors = np.ascontiguousarray(model.item_factors, dtype=np.float32)
        self.n_items = matrix.shape[1]
        self._gram: np.ndarray | None = None
        return self

    def _initialise(self, model: Any, matrix: sp.csr_matrix, warm: WarmStart) -> None:
        """Implicit's own random init for every row, then the earlier factors for the
        subjects and items that were already known."""
        init = self._make()
        init.iterations = 0
        init.fit(matrix, show_progress=False)
        users = np.array(init.user_factors, dtype=np.float32)
        items = np.array(init.item_factors, dtype=np.float32)
        if (
            warm.user_factors.shape[1] != users.shape[1]
            or warm.item_factors.shape[1] != (items.shape[1])
        ):
            raise ValueError(
                f"Cannot warm start from {warm.from_version or 'the earlier model'}: it has "
                f"{warm.item_factors.shape[1]} factor columns, this model {items.shape[1]}."
            )
        known = warm.user_rows >= 0
        users[known] = warm.user_factors[warm.user_rows[known]]
        known = warm.item_rows >= 0
        items[known] = warm.item_factors[warm.item_rows[known]]
        model.user_factors = users
        model.item_factors = items

    @property
    def gram(self) -> np.ndarray:
        """Y^T Y, computed once per loaded model for fold-in."""
        if getattr(self, "_gram", None) is None:
            y = self.item_factors.astype(np.float64)
            self._gram = y.T @ y
        return self._gram  # type: ignore[return-value]

    def fold_in(self, items: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Least-squares factors of a subject from their items and confidences."""
        reg = float(self.params.get("regularization", 0.01))
        alpha = float(self.params.get("alpha", 1.0))
        y = self.item_factors[items].astype(np.float64)
        c = alpha * np.asarray(values, dtype=np.float64)
        a = self.gram + reg * np.eye(y.shape[1]) + y.T @ ((c - 1.0)[:, None] * y)
        b = y.T @ c
        return np.linalg.solve(a, b).astype(np.float32)

    def user_vectors(self, users: np.ndarray, context: sp.csr_matrix) -> np.ndarray:
        out = np.zeros((len(users), self.item_factors.shape[1]), dtype=np.float32)
        known = users >= 0
        out[known] = self.user_factors[users[known]]
        for row in np.flatnonzero(~known):
            lo, hi = context.indptr[row], context.indptr[row + 1]
            if hi > lo:
                out[row] = self.fold_in(context.indices[lo:hi], context.data[lo:hi])
        return out

    def score(self, users: np.ndarray, context: sp.csr_matrix) -> np.ndarray:
        return self.user_vectors(np.asarray(users), context) @ self.item_factors.T

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"user_factors": self.user_factors, "item_factors": self.item_factors}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], params: dict[str, Any]) -> FactorModel:
        model = cls(**params)
        model.user_factors = arrays["user_factors"]
        model.item_factors = arrays["item_factors"]
        model.n_items = model.item_factors.shape[0]
        model._gram = None
        return model


class ALS(FactorModel):
    """Implicit-feedback ALS (Hu, Koren & Volinsky 2008) via implicit."""

    name = "als"

    def _make(self) -> Any:
        from implicit.cpu.als import AlternatingLeastSquares

        p = self.params
        return AlternatingLeastSquares(
            factors=int(p.get("factors", 64)),
            regularization=float(p.get("regularization", 0.01)),
            alpha=float(p.get("alpha", 1.0)),
            iterations=int(p.get("iterations", 15)),
            random_state=int(p.get("random_state", 42)),
            num_threads=int(p.get("num_threads", 0)),
        )


class BPR(FactorModel):
    """Bayesian Personalised Ranking via implicit.

    BPR has no closed-form user step, so a subject is folded in as the weighted mean of
    their items' factors (implicit keeps the item bias in the last column and a constant
    1 in the users' last column, which is kept)."""

    name = "bpr"

    def fold_in(self, items: np.ndarray, values: np.ndarray) -> np.ndarray:
        y = self.item_factors[items]
        w = np.asarray(values, dtype=np.float32)
        user = (w[:, None] * y).sum(axis=0) / max(float(w.sum()), 1e-9)
        user[-1] = 1.0
        return user.astype(np.float32)

    def _make(self) -> Any:
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        p = self.params
        return BayesianPersonalizedRanking(
            factors=int(p.get("factors", 64)),
            learning_rate=float(p.get("learning_rate", 0.05)),
            regularization=float(p.get("regularization", 0.01)),
            iterations=int(p.get("iterations", 100)),
            random_state=int(p.get("random_state", 42)),
            num_threads=int(p.get("num_threads", 0)),
        )
