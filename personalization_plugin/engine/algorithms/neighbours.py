"""Item-item models: cosine and BM25 neighbours (via implicit.nearest_neighbours) and EASE.

They keep no per-user state: a user's scores are their context row times an item x item
matrix, so known and unknown subjects (a session's last few views) are served alike.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from personalization_plugin.engine.algorithms.base import (
    Recommender,
    sparse_from_arrays,
    sparse_to_arrays,
)


class ItemKNN(Recommender):
    """Item-item neighbours: `similarity` holds each item's top-K neighbours."""

    name = "item_knn"
    similarity: sp.csr_matrix

    def _make(self) -> Any:
        from implicit.nearest_neighbours import CosineRecommender

        return CosineRecommender(K=int(self.params.get("k", 100)))

    def fit(self, matrix: sp.csr_matrix, progress: bool = False) -> ItemKNN:
        from implicit.utils import ParameterWarning

        with threadpool_limits(limits=1, user_api="blas"), warnings.catch_warnings():
            # implicit's own BM25 weighting hands its kernel a COO matrix and warns about it
            warnings.simplefilter("ignore", ParameterWarning)
            model = self._make()
            model.fit(sp.csr_matrix(matrix, dtype=np.float32), show_progress=progress)
        sim = model.similarity.tocsr().astype(np.float32)
        sim.setdiag(0)
        sim.eliminate_zeros()
        self.similarity = sim
        self.n_items = matrix.shape[1]
        return self

    def score(self, users: np.ndarray, context: sp.csr_matrix) -> np.ndarray:
        return np.asarray((context @ self.similarity).todense(), dtype=np.float32)

    def to_arrays(self) -> dict[str, np.ndarray]:
        return sparse_to_arrays("similarity", self.similarity)

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], params: dict[str, Any]) -> ItemKNN:
        model = cls(**params)
        model.similarity = sparse_from_arrays("similarity", arrays)
        model.n_items = model.similarity.shape[1]
        return model


class BM25KNN(ItemKNN):
    """Item-item neighbours with BM25 weighting, which damps heavy users and bestsellers."""

    name = "bm25"

    def _make(self) -> Any:
        from implicit.nearest_neighbours import BM25Recommender

        p = self.params
        return BM25Recommender(
            K=int(p.get("k", 100)), K1=float(p.get("k1", 1.2)), B=float(p.get("b", 0.75))
        )


class EASE(ItemKNN):
    """EASE (Steck 2019): closed-form item-item regression with a zero diagonal.

    B = I - P / diag(P) with P = (X^T X + lambda I)^-1. Dense in items, so it is only
    fitted when the catalog is small (`max_items`). With `k > 0` only each item's k
    largest weights are kept (a sparse lookup for serving); with `k = 0` the dense B is
    kept for evaluation (`dense`, not saved).
    """

    name = "ease"
    dense: np.ndarray | None = None

    def fit(self, matrix: sp.csr_matrix, progress: bool = False) -> EASE:
        n_items = matrix.shape[1]
        x = sp.csr_matrix(matrix, dtype=np.float32)
        if self.params.get("binary", True):
            x.data[:] = 1.0
        gram = dense_gram(x)
        gram[np.diag_indices(n_items)] += float(self.params.get("l2", 200.0))
        with threadpool_limits(limits=int(self.params.get("threads", 2)), user_api="blas"):
            p = _spd_inverse(gram)
        del gram
        p /= -np.diag(p)[None, :]
        p[np.diag_indices(n_items)] = 0.0
        k = int(self.params.get("k", 0))
        self.n_items = n_items
        if k > 0:
            self.similarity = keep_top_k(p, k)
        else:
            self.dense = p
            self.similarity = sp.csr_matrix((n_items, n_items), dtype=np.float32)
        return self

    def score(self, users: np.ndarray, context: sp.csr_matrix) -> np.ndarray:
        if self.dense is not None:
            return np.asarray(context @ self.dense, dtype=np.float32)
        return super().score(users, context)


def dense_gram(x: sp.csr_matrix, block: int = 20_000) -> np.ndarray:
    """X^T X as a dense float32 array, accumulated over blocks of rows so the sparse
    intermediate never holds more than one block's item pairs."""
    n = x.shape[1]
    gram = np.zeros((n, n), dtype=np.float32)
    for lo in range(0, x.shape[0], block):
        part = (x[lo : lo + block].T @ x[lo : lo + block]).tocoo()
        gram[part.row, part.col] += part.data  # (row, col) pairs are unique within a block
    return gram


def _spd_inverse(gram: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric positive definite float32 matrix by Cholesky, in place.

    Half the work of a general inverse, and no extra n x n copies: the symmetric input
    is handed to LAPACK as its (Fortran-ordered) transpose and overwritten."""
    from scipy.linalg import lapack

    a = gram.T  # same matrix (symmetric), Fortran-contiguous: LAPACK works in place
    chol, info = lapack.spotrf(a, lower=1, overwrite_a=1, clean=0)
    if info != 0:
        return np.linalg.inv(gram).astype(np.float32)
    inv, info = lapack.spotri(chol, lower=1, overwrite_c=1)
    if info != 0:
        return np.linalg.inv(gram).astype(np.float32)
    _symmetrise_from_lower(inv)
    return inv


def _symmetrise_from_lower(m: np.ndarray, step: int = 1024) -> None:
    """Copy the lower triangle onto the upper one, block by block (bounded memory)."""
    n = m.shape[0]
    for lo in range(0, n, step):
        hi = min(lo + step, n)
        diag = m[lo:hi, lo:hi]
        m[lo:hi, lo:hi] = np.tril(diag) + np.tril(diag, -1).T
        if hi < n:
            m[lo:hi, hi:] = m[hi:, lo:hi].T


def keep_top_k(dense: np.ndarray, k: int, step: int = 1024) -> sp.csr_matrix:
    """Rows of `dense` as CSR keeping each row's k largest entries (all when k <= 0).
    Works in blocks of rows, so no n x n index array is ever allocated."""
    if k <= 0 or k >= dense.shape[1]:
        return sp.csr_matrix(dense)
    n = dense.shape[0]
    cols = np.empty((n, k), dtype=np.int32)
    vals = np.empty((n, k), dtype=np.float32)
    for lo in range(0, n, step):
        block = np.ascontiguousarray(dense[lo : lo + step])
        part = np.argpartition(-block, k - 1, axis=1)[:, :k]
        cols[lo : lo + step] = part
        vals[lo : lo + step] = np.take_along_axis(block, part, axis=1)
    rows = np.repeat(np.arange(n), k)
    return sp.csr_matrix((vals.ravel(), (rows, cols.ravel())), shape=dense.shape)


class RP3beta(ItemKNN):
    """RP3beta (Paudel et al. 2017): three-step random walks item -> user -> item, with
    each target item's score divided by its popularity to the power `beta`.

    W[i, j] = sum_u P(u | i)^alpha P(j | u)^alpha / pop(j)^beta, keeping each item's `k`
    best neighbours. A strong, cheap item-item baseline on implicit data (often close to
    EASE), and unlike EASE it stays sparse, so it scales to large catalogs. Computed in
    blocks of items, so memory holds one (block x items) slab at a time.
    """

    name = "rp3beta"

    def fit(self, matrix: sp.csr_matrix, progress: bool = False) -> RP3beta:
        p = self.params
        alpha, beta, k = float(p.get("alpha", 1.0)), float(p.get("beta", 0.5)), int(p.get("k", 100))
        x = sp.csr_matrix(matrix, dtype=np.float32)
        x.data[:] = 1.0
        n_items = x.shape[1]
        pui = _row_stochastic(x, alpha)
        piu = _row_stochastic(x.T.tocsr(), alpha)
        popularity = np.asarray(x.sum(axis=0)).ravel()
        damp = np.where(popularity > 0, np.power(np.maximum(popularity, 1.0), -beta), 0.0)
        rows, cols, vals = [], [], []
        k = min(k, max(n_items - 1, 1))
        for lo in range(0, n_items, 512):
            hi = min(lo + 512, n_items)
            block = (piu[lo:hi] @ pui).toarray().astype(np.float32)
            block *= damp.astype(np.float32)[None, :]
            block[np.arange(hi - lo), np.arange(lo, hi)] = 0.0
            part = np.argpartition(-block, k - 1, axis=1)[:, :k]
            values = np.take_along_axis(block, part, axis=1)
            keep = values > 0
            rows.append(np.repeat(np.arange(lo, hi), k)[keep.ravel()])
            cols.append(part.ravel()[keep.ravel()])
            vals.append(values.ravel()[keep.ravel()])
        self.similarity = sp.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(n_items, n_items),
            dtype=np.float32,
        )
        self.n_items = n_items
        return self


def _row_stochastic(m: sp.csr_matrix, power: float) -> sp.csr_matrix:
    """Rows scaled to sum to 1, then every entry raised to `power`."""
    sums = np.asarray(m.sum(axis=1)).ravel()
    scaled = sp.diags(np.where(sums > 0, 1.0 / np.maximum(sums, 1e-12), 0.0)) @ m
    scaled = sp.csr_matrix(scaled, dtype=np.float32)
    if power != 1.0:
        scaled.data = np.power(scaled.data, power)
    return scaled
