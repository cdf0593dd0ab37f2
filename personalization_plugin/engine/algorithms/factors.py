"""Matrix factorisation: implicit's ALS and BPR, fitted with BLAS pinned to one thread.

The fitted factors are kept as plain arrays; scoring and the real-time fold-in of a
subject's recent items are numpy (one 64 x 64 solve, well under a millisecond), so
serving needs no implicit model object at all.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from .base import Recommender


class FactorModel(Recommender):
    """Shared scoring for factor models: score = user_factors @ item_factors.T."""

    user_factors: np.ndarray
    item_factors: np.ndarray

    def _make(self) -> Any:
        raise NotImplementedError

    def fit(self, matrix: sp.csr_matrix, progress: bool = False) -> FactorModel:
        with threadpool_limits(limits=1, user_api="blas"):
            model = self._make()
            model.fit(sp.csr_matrix(matrix, dtype=np.float32), show_progress=progress)
        self.user_factors = np.ascontiguousarray(model.user_factors, dtype=np.float32)
        self.item_factors = np.ascontiguousarray(model.item_factors, dtype=np.float32)
        self.n_items = matrix.shape[1]
        self._gram: np.ndarray | None = None
        return self

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

    def similar_items(self, item: int, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        y = self.item_factors
        norms = np.linalg.norm(y, axis=1) + 1e-9
        sims = (y @ y[item]) / (norms * norms[item])
        sims[item] = -np.inf
        k = min(n, len(sims) - 1)
        idx = np.argpartition(-sims, k)[:k] if k > 0 else np.zeros(0, dtype=np.int64)
        idx = idx[np.argsort(-sims[idx])]
        return idx, sims[idx].astype(np.float32)

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
