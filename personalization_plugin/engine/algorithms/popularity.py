"""Popularity: the same list for everyone, the baseline every model must beat."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from personalization_plugin.engine.algorithms.base import Recommender


class Popularity(Recommender):
    """Items ranked by how many subjects interacted with them."""

    name = "popularity"
    counts: np.ndarray

    def fit(self, matrix: sp.csr_matrix, progress: bool = False) -> Popularity:
        self.counts = np.asarray((matrix > 0).sum(axis=0), dtype=np.float32).ravel()
        self.n_items = matrix.shape[1]
        return self

    def score(self, users: np.ndarray, context: sp.csr_matrix) -> np.ndarray:
        return np.tile(self.counts, (len(users), 1))

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"counts": self.counts}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], params: dict[str, Any]) -> Popularity:
        model = cls(**params)
        model.counts = arrays["counts"]
        model.n_items = model.counts.shape[0]
        return model
