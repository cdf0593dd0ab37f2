"""Every scoring part's view of a set of evaluation cases, on a small candidate set.

Choosing blend weights means scoring the same cases under many weightings. Scoring
every case against every product for each weighting would cost a full evaluation per
trial; instead each part scores the cases once, its row is scaled to [0, 1] exactly as
the served `Blend` scales it, and only the union of every part's top `depth` products
is kept per case. A weighting is then a weighted sum over that table and a top-k over
a few hundred columns. An item outside every part's top `depth` could only reach a
blend's top 10 by being mediocre everywhere, which the union makes rare; the chosen
recipe is re-measured on the full catalog by the holdout anyway.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from personalization_plugin.engine.algorithms.base import mask_rows
from personalization_plugin.engine.blend import Batch, GlobalSource, ScoreSource
from personalization_plugin.engine.evaluation import Cases, case_ndcg

DEPTH = 50


@dataclass
class CandidateTable:
    """`scores[p]` is part `names[p]`'s normalised score of `items` (cases x width, -1
    padded, seen items left out); `hits` marks the candidates that are targets."""

    names: list[str]
    items: np.ndarray
    scores: np.ndarray  # (parts, cases, width) float32
    hits: np.ndarray  # (cases, width) bool
    n_targets: np.ndarray  # (cases,)

    def ndcg(self, weights: Mapping[str, float], k: int = 10) -> np.ndarray:
        """Per-case NDCG@k of the blend with these part weights (missing parts: 0)."""
        w = np.array([float(weights.get(n, 0.0)) for n in self.names], dtype=np.float32)
        total = np.tensordot(w, self.scores, axes=1)
        total[self.items < 0] = -np.inf
        k = min(k, total.shape[1])
        top = np.argpartition(-total, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(total, top, axis=1), axis=1, kind="stable")
        top = np.take_along_axis(top, order, axis=1)
        hits = np.take_along_axis(self.hits, top, axis=1)
        hits &= np.isfinite(np.take_along_axis(total, top, axis=1))
        return case_ndcg(hits, self.n_targets)


def build_table(
    cases: Cases, parts: Mapping[str, ScoreSource], depth: int = DEPTH, batch: int = 128
) -> CandidateTable:
    """Score `cases` once with every part and keep the union of their top `depth`."""
    names = list(parts)
    blocks_items, blocks_scores, blocks_hits = [], [], []
    for lo in range(0, len(cases), batch):
        hi = min(lo + batch, len(cases))
        b = Batch(
            users=cases.users[lo:hi], history=cases.history[lo:hi], recent=cases.recent[lo:hi]
        )
        seen = sp.csr_matrix(b.history + b.recent)
        normalised = [_normalised(parts[name], b, seen, cases.data.n_items) for name in names]
        union = _union_top(normalised, depth)
        rows = np.arange(hi - lo)[:, None]
        safe = np.maximum(union, 0)
        gathered = np.stack([np.where(union >= 0, s[rows, safe], 0.0) for s in normalised])
        targets = cases.targets[lo:hi]
        dense_t = np.asarray(targets[np.repeat(np.arange(hi - lo), union.shape[1]), safe.ravel()])
        hits = dense_t.reshape(union.shape) > 0
        hits &= union >= 0
        blocks_items.append(union)
        blocks_scores.append(gathered.astype(np.float32))
        blocks_hits.append(hits)
    width = max((u.shape[1] for u in blocks_items), default=1)
    items = np.concatenate([_pad(u, width, -1) for u in blocks_items])
    scores = np.concatenate([_pad(s, width, 0.0) for s in blocks_scores], axis=1)
    hits = np.concatenate([_pad(h, width, False) for h in blocks_hits])
    return CandidateTable(names, items, scores, hits, np.diff(cases.targets.indptr))


def _normalised(source: ScoreSource, batch: Batch, seen: sp.csr_matrix, n_items: int) -> np.ndarray:
    """The part's scores scaled to [0, 1] per row as the blend does, seen items at -inf."""
    if isinstance(source, GlobalSource):
        out = np.array(np.broadcast_to(source.normalised, (len(batch), n_items)), dtype=np.float32)
    else:
        raw = source.score(batch)
        if raw is None:
            out = np.zeros((len(batch), n_items), dtype=np.float32)
        else:
            out = np.array(raw, dtype=np.float32)
            lo = out.min(axis=1, keepdims=True)
            hi = out.max(axis=1, keepdims=True)
            out -= lo
            out *= np.where(hi > lo, 1.0 / np.where(hi > lo, hi - lo, 1.0), 0.0)
    mask_rows(out, seen)
    return out


def _union_top(normalised: list[np.ndarray], depth: int) -> np.ndarray:
    """Per row, the union of every part's top `depth` items (-1 padded, rows sorted)."""
    tops = []
    for s in normalised:
        d = min(depth, s.shape[1])
        top = np.argpartition(-s, d - 1, axis=1)[:, :d]
        finite = np.isfinite(np.take_along_axis(s, top, axis=1))
        tops.append(np.where(finite, top, -1))
    stacked = np.sort(np.concatenate(tops, axis=1), axis=1)
    dup = np.zeros_like(stacked, dtype=bool)
    dup[:, 1:] = stacked[:, 1:] == stacked[:, :-1]
    stacked[dup] = -1
    stacked = -np.sort(-stacked, axis=1)  # real items first, padding last
    width = int((stacked >= 0).sum(axis=1).max(initial=1))
    return stacked[:, : max(width, 1)]


def _pad(a: np.ndarray, width: int, fill: float | bool) -> np.ndarray:
    extra = width - a.shape[-1]
    if extra <= 0:
        return a
    out = np.full((*a.shape[:-1], width), fill, dtype=a.dtype)
    out[..., : a.shape[-1]] = a
    return out
