"""Scoring sources behind one interface, and `Blend`, the default that combines them.

Each source scores every item for a batch of subjects from one kind of evidence: the
collaborative core (a fitted algorithm: factors, item-kNN, EASE...), an item-to-item
table applied to the history or to the recent items (EASE rows, neighbours, session
co-views, "viewed next" sequences) or a global vector (popularity, trending). They all
honour `ScoreSource`, so a blend is just a weighted list of them, a new source is one
class, and evaluation can score any one of them alone.

A `Blend` is itself a `ScoreSource`. Each part's scores are scaled to [0, 1] per row
before weighting so parts of different scales add up fairly; a part with weight 0, or
one that has nothing to say for this batch (no recent items, say), costs nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal, Protocol, runtime_checkable

import numpy as np
import scipy.sparse as sp

from personalization_plugin.engine.algorithms.base import Recommender

RECENT_CONFIDENCE = 1.0


@dataclass(frozen=True)
class Batch:
    """What a batch of subjects is scored on.

    `users` are row positions in the training matrix (-1: a subject the model never saw);
    `history` their weighted training rows; `recent` their recent items weighted by
    recency (newest = 1). `context` is history plus the recent items at full confidence,
    the row a model folds in."""

    users: np.ndarray
    history: sp.csr_matrix
    recent: sp.csr_matrix

    @cached_property
    def has_recent(self) -> np.ndarray:
        return np.diff(self.recent.indptr) > 0

    @cached_property
    def context(self) -> sp.csr_matrix:
        """Computed once per batch: every source reading it shares the same matrix."""
        recent = self.recent.copy()
        recent.data[:] = RECENT_CONFIDENCE
        return sp.csr_matrix(self.history + recent)

    def __len__(self) -> int:
        return len(self.users)


@runtime_checkable
class ScoreSource(Protocol):
    """One kind of evidence, scoring every item for each subject of a batch."""

    @property
    def name(self) -> str:
        """What the evidence is, for reports ("core", "session", "popularity"...)."""
        ...

    def score(self, batch: Batch) -> np.ndarray | None:
        """Dense (len(batch), n_items) float32 scores, higher is better; None when this
        source has nothing to say for the batch (the blend then skips it)."""
        ...


@dataclass(frozen=True)
class AlgorithmSource:
    """A fitted `Recommender` (ALS, BPR, item-kNN, EASE...): the collaborative core.

    A subject with recent items is scored as unknown (-1) on its context row, which
    folds the session in: factor models refit the row, item-item models read it."""

    model: Recommender
    name: str = "core"

    def score(self, batch: Batch) -> np.ndarray:
        users = np.where(batch.has_recent, -1, batch.users)
        return np.asarray(self.model.score(users, batch.context), dtype=np.float32)


@dataclass(frozen=True)
class ItemItemSource:
    """An item x item table applied to the subjects' history (`reads="context"`) or to
    their recent items only (`reads="recent"`, session and sequence evidence)."""

    name: str
    table: sp.csr_matrix
    reads: Literal["context", "recent"] = "context"

    def score(self, batch: Batch) -> np.ndarray | None:
        if self.reads == "recent":
            if not batch.has_recent.any():
                return None
            return dense(batch.recent @ self.table)
        return dense(batch.context @ self.table)


@dataclass(frozen=True)
class GlobalSource:
    """The same scores for everyone (popularity, trending as of training)."""

    name: str
    scores: np.ndarray

    def score(self, batch: Batch) -> np.ndarray:
        return np.broadcast_to(self.scores.astype(np.float32), (len(batch), self.scores.size))

    @cached_property
    def normalised(self) -> np.ndarray:
        """The one row every subject gets, scaled once (a blend adds it by broadcasting)."""
        return normalise(self.scores[None, :])[0]


@dataclass(frozen=True)
class Blend:
    """A weighted sum of sources, each scaled to [0, 1] per row first."""

    parts: Sequence[tuple[float, ScoreSource]]
    n_items: int
    name: str = "blend"

    def score(self, batch: Batch) -> np.ndarray:
        total = np.zeros((len(batch), self.n_items), dtype=np.float32)
        for weight, source in self.parts:
            if not weight:
                continue
            if isinstance(source, GlobalSource):
                total += np.float32(weight) * source.normalised
                continue
            scores = source.score(batch)
            if scores is not None:
                add_normalised(total, float(weight), scores)
        return total

    def describe(self) -> dict[str, float]:
        """Source name -> weight, for the admin and evaluation reports."""
        return {source.name: float(weight) for weight, source in self.parts if weight}


def normalise(scores: np.ndarray) -> np.ndarray:
    """Scale each row to [0, 1] by min-max, so blended parts are comparable."""
    scores = np.atleast_2d(scores)
    lo = scores.min(axis=1, keepdims=True)
    hi = scores.max(axis=1, keepdims=True)
    span = np.where(hi > lo, hi - lo, 1.0)
    return ((scores - lo) / span).astype(np.float32)


def add_normalised(total: np.ndarray, weight: float, scores: np.ndarray) -> None:
    """`total += weight * normalise(scores)`, in place and without temporaries: the
    blend runs this for every part of every scored batch, so it must not allocate
    three more (rows x items) arrays each time. `scores` is overwritten when writable."""
    scores = np.atleast_2d(scores)
    if not scores.flags.writeable or scores.dtype != np.float32:
        scores = scores.astype(np.float32)
    lo = scores.min(axis=1, keepdims=True)
    hi = scores.max(axis=1, keepdims=True)
    factor = np.where(hi > lo, weight / np.where(hi > lo, hi - lo, 1.0), 0.0).astype(np.float32)
    scores -= lo
    scores *= factor
    total += scores


def dense(m: sp.spmatrix) -> np.ndarray:
    """A sparse result as a dense float32 array."""
    return np.asarray(m.todense(), dtype=np.float32)
