"""The one interface every algorithm honours, in the manner of implicit's RecommenderBase.

Models are fitted on a user x item CSR matrix and score items for a batch of users
given each user's *context* row (their history, or just the items of the current
session for a subject the model never saw). Models that learned per-user state use
it for known rows (`users[k] >= 0`); `-1` means "unknown, go by the context alone".
Everything a model learned is a dict of numpy arrays, so artifacts need no pickle.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp


class Recommender:
    """Base class: `fit`, `score`, `recommend`, `to_arrays`/`from_arrays`."""

    name: ClassVar[str] = "base"

    def __init__(self, **params: Any) -> None:
        self.params: dict[str, Any] = params
        self.n_items = 0

    def fit(self, matrix: sp.csr_matrix, progress: bool = False) -> Recommender:
        raise NotImplementedError

    def score(self, users: np.ndarray, context: sp.csr_matrix) -> np.ndarray:
        """Dense (len(users), n_items) float32 scores; higher is better."""
        raise NotImplementedError

    def recommend(
        self,
        users: np.ndarray,
        context: sp.csr_matrix,
        n: int = 10,
        filter_seen: bool = True,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-n item indices and scores per row, (len(users), n), -1 padded."""
        scores = self.score(np.asarray(users), context)
        if filter_seen:
            mask_rows(scores, context)
        return top_n(scores, n)

    def to_arrays(self) -> dict[str, np.ndarray]:
        raise NotImplementedError

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], params: dict[str, Any]) -> Recommender:
        raise NotImplementedError


def mask_rows(scores: np.ndarray, context: sp.csr_matrix) -> None:
    """Set the scores of each row's context items to -inf, in place."""
    rows = np.repeat(np.arange(context.shape[0]), np.diff(context.indptr))
    scores[rows, context.indices] = -np.inf


def top_n(scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise top-n by argpartition; -inf entries become index -1."""
    scores = np.atleast_2d(scores)
    k = min(n, scores.shape[1])
    if k == 0:
        empty = np.zeros((scores.shape[0], 0))
        return empty.astype(np.int64), empty.astype(np.float32)
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-part_scores, axis=1, kind="stable")
    idx = np.take_along_axis(part, order, axis=1)
    val = np.take_along_axis(part_scores, order, axis=1)
    idx[~np.isfinite(val)] = -1
    return idx, val.astype(np.float32)


def sparse_to_arrays(prefix: str, matrix: sp.csr_matrix) -> dict[str, np.ndarray]:
    m = matrix.tocsr()
    return {
        f"{prefix}_data": m.data.astype(np.float32),
        f"{prefix}_indices": m.indices.astype(np.int32),
        f"{prefix}_indptr": m.indptr.astype(np.int64),
        f"{prefix}_shape": np.asarray(m.shape, dtype=np.int64),
    }


def sparse_from_arrays(prefix: str, arrays: dict[str, np.ndarray]) -> sp.csr_matrix:
    shape = tuple(int(x) for x in arrays[f"{prefix}_shape"])
    return sp.csr_matrix(
        (arrays[f"{prefix}_data"], arrays[f"{prefix}_indices"], arrays[f"{prefix}_indptr"]),
        shape=shape,
    )
