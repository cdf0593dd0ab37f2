"""`ArtifactModel`: the `ServingModel` that serving talks to, built from artifact arrays.

Every placement is a lookup or one small vectorised computation:
`similar` / `bought_together` / `viewed_together` read precomputed top-k rows;
`for_subject` is one dot product over the item factors (plus a 64 x 64 solve when
recent items are folded in) and a few sparse row sums. Ids are mapped back to the
store's strings; unknown ids give [] and `exclude` is always honoured.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from typing import Any

import numpy as np
import scipy.sparse as sp

from personalization_plugin.engine.algorithms import ALGORITHMS
from personalization_plugin.engine.algorithms.base import (
    Recommender,
    mask_rows,
    sparse_from_arrays,
    top_n,
)
from personalization_plugin.engine.algorithms.factors import FactorModel
from personalization_plugin.engine.base import Scored
from personalization_plugin.engine.blend import (
    AlgorithmSource,
    Batch,
    Blend,
    GlobalSource,
    ItemItemSource,
    ScoreSource,
    normalise,
)
from personalization_plugin.engine.blend import (
    dense as _dense,
)

CORE_PREFIX = "core_"
SCORING_THREADS = 2
MIN_ROWS_PER_THREAD = 64
_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _scoring_pool() -> ThreadPoolExecutor:
    """One small pool per process for batch scoring (created on first use)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(SCORING_THREADS, thread_name_prefix="sp-scoring")
        return _POOL


class ArtifactModel:
    """A trained model ready to serve (implements `engine.base.ServingModel`)."""

    def __init__(self, arrays: dict[str, np.ndarray], manifest: dict[str, Any]) -> None:
        self.manifest = manifest
        self.version: str = manifest["version"]
        self.params: dict[str, Any] = manifest["params"]
        self.algorithm: str = self.params["algorithm"]
        self.subject_ids: np.ndarray = arrays["subject_ids"]
        self.item_ids: np.ndarray = arrays["item_ids"]
        self.n_items = int(self.item_ids.shape[0])
        self.subject_pos = {s: k for k, s in enumerate(self.subject_ids.tolist())}
        self.item_pos = {s: k for k, s in enumerate(self.item_ids.tolist())}
        core_arrays = {
            k[len(CORE_PREFIX) :]: v for k, v in arrays.items() if k.startswith(CORE_PREFIX)
        }
        self.core: Recommender = ALGORITHMS[self.algorithm].from_arrays(
            core_arrays, self._core_params()
        )
        self.history = sparse_from_arrays("history", arrays)
        self.similar_rows = sparse_from_arrays("similar", arrays)
        self.bought_rows = sparse_from_arrays("bought", arrays)
        self.viewed_rows = sparse_from_arrays("viewed", arrays)
        self.ease_rows = sparse_from_arrays("ease", arrays) if "ease_shape" in arrays else None
        self.session_rows = _row_normalised(self.similar_rows) + _row_normalised(self.viewed_rows)
        self.followed_rows = _row_normalised(sparse_from_arrays("followed", arrays))
        self.popularity: np.ndarray = arrays["popularity"]
        self.trending_scores: np.ndarray = arrays["trending"]
        self.price: np.ndarray = arrays["price"]
        self.created: np.ndarray = arrays["created"]
        self.available: np.ndarray = arrays["available"]
        self.category_ids: np.ndarray = arrays["category_ids"]
        self.item_categories = sp.csr_matrix(
            (
                np.ones(arrays["item_cat_indices"].shape[0], np.float32),
                arrays["item_cat_indices"],
                arrays["item_cat_indptr"],
            ),
            shape=(self.n_items, self.category_ids.shape[0]),
        )
        self.category_items = self.item_categories.T.tocsr()
        self.category_pos = {c: k for k, c in enumerate(self.category_ids.tolist())}
        self._pop_norm = normalise(self.popularity[None, :])[0]
        self.blend = self._blend()

    def _core_params(self) -> dict[str, Any]:
        p = self.params
        return {"regularization": p.get("regularization", 0.01), "alpha": p.get("alpha", 1.0)}

    # -- ids ---------------------------------------------------------------------------

    def _items(self, product_ids: Sequence[str]) -> np.ndarray:
        pos = self.item_pos
        return np.array([pos[p] for p in product_ids if p in pos], dtype=np.int64)

    def _to_scored(
        self, idx: np.ndarray, scores: np.ndarray, n: int, exclude: Collection[str]
    ) -> Scored:
        # Python lists, not numpy scalars: precompute turns ~100k rows into lists here,
        # and indexing numpy arrays one element at a time cost more than scoring them
        out: Scored = []
        excluded = set(exclude)
        ids, available = self._id_list, self._available_list
        for i, s in zip(idx.tolist(), scores.tolist(), strict=True):
            if i < 0 or s != s or s in (math.inf, -math.inf):
                continue
            pid = ids[i]
            if not available[i] or pid in excluded:
                continue
            out.append((pid, s))
            if len(out) >= n:
                break
        return out

    @cached_property
    def _id_list(self) -> list[str]:
        return [str(p) for p in self.item_ids.tolist()]

    @cached_property
    def _available_list(self) -> list[bool]:
        return [bool(a) for a in self.available.tolist()]

    def _rank(self, scores: np.ndarray, n: int, exclude: Collection[str]) -> Scored:
        ex = self._items(list(exclude))
        scores = scores.copy()
        scores[ex] = -np.inf
        scores[~self.available] = -np.inf
        idx, val = top_n(scores[None, :], n)
        return self._to_scored(idx[0], val[0], n, exclude)

    # -- ServingModel ------------------------------------------------------------------

    def knows_subject(self, subject: str) -> bool:
        return subject in self.subject_pos

    def for_subject(
        self,
        subject: str,
        recent_items: Sequence[str] = (),
        n: int = 10,
        exclude: Collection[str] = (),
    ) -> Scored:
        user = self.subject_pos.get(subject, -1)
        recent = self._items(list(dict.fromkeys(recent_items)))
        if user < 0 and recent.size == 0:
            return []
        history = (
            self.history[user] if user >= 0 else sp.csr_matrix((1, self.n_items), dtype=np.float32)
        )
        scores = self.score_batch(
            np.array([user]),
            history,
            recency_rows(recent[None, :], self.n_items, self.params.get("recency_decay", 0.5)),
        )
        seen = sp.csr_matrix(history + (self._recent_matrix(recent) if recent.size else 0))
        self._mask_seen(scores, seen)
        return self._rank(scores[0], n, exclude)

    def _mask_seen(self, scores: np.ndarray, seen: sp.csr_matrix) -> None:
        """Hide what subjects already have, except products in REPURCHASABLE_CATEGORIES
        (consumables), which may be recommended again."""
        keep = self._repurchasable()
        if keep.any():
            seen = sp.csr_matrix(seen)
            seen.data = np.where(keep[seen.indices], 0.0, 1.0).astype(np.float32)
            seen.eliminate_zeros()
        mask_rows(scores, seen)

    def _repurchasable(self) -> np.ndarray:
        from personalization_plugin.core.conf import plugin_settings

        categories = tuple(sorted(plugin_settings.REPURCHASABLE_CATEGORIES or ()))
        cached = getattr(self, "_repurchasable_cache", None)
        if cached is not None and cached[0] == categories:
            return cached[1]
        mask = np.zeros(self.n_items, dtype=bool)
        cats = [self.category_pos[c] for c in categories if c in self.category_pos]
        if cats:
            mask[np.unique(self.category_items[cats].indices)] = True
        self._repurchasable_cache = (categories, mask)
        return mask

    def for_subjects(
        self,
        subjects: Sequence[str],
        n: int = 10,
        batch: int = 256,
        recent: Mapping[str, Sequence[str]] | None = None,
    ) -> dict[str, Scored]:
        """Personal top-n for many known subjects at once, for precomputing cached lists;
        unknown subjects are left out of the result. `recent` gives subjects' recent items
        (newest first), folded in exactly as `for_subject(subject, recent_items)` does."""
        rows = [(s, self.subject_pos[s]) for s in subjects if s in self.subject_pos]
        # Halves of a batch score on two threads: numpy releases the GIL in the matrix
        # product, the normalisation and the partition, so precompute uses both cores.
        size = max(1, min(batch, -(-len(rows) // SCORING_THREADS)))
        chunks = [rows[lo : lo + size] for lo in range(0, len(rows), size)]
        if len(chunks) > 1 and len(rows) >= MIN_ROWS_PER_THREAD * SCORING_THREADS:
            parts = list(_scoring_pool().map(lambda c: self._score_chunk(c, n, recent), chunks))
        else:
            parts = [self._score_chunk(c, n, recent) for c in chunks]
        out: dict[str, Scored] = {}
        for part in parts:
            out.update(part)
        return out

    def _score_chunk(
        self,
        chunk: list[tuple[str, int]],
        n: int,
        recent: Mapping[str, Sequence[str]] | None,
    ) -> dict[str, Scored]:
        decay = self.params.get("recency_decay", 0.5)
        users = np.array([u for _, u in chunk], dtype=np.int64)
        history = self.history[users]
        recent_ids = [self._items(list(dict.fromkeys((recent or {}).get(s, ())))) for s, _ in chunk]
        width = max((r.size for r in recent_ids), default=0)
        padded = np.full((len(chunk), max(width, 1)), -1, dtype=np.int64)
        for k, ids in enumerate(recent_ids):
            padded[k, : ids.size] = ids
        recent_rows = recency_rows(padded, self.n_items, decay)
        scores = self.score_batch(users, history, recent_rows)
        seen = history + (recent_rows > 0).astype(np.float32)
        self._mask_seen(scores, sp.csr_matrix(seen))
        scores[:, ~self.available] = -np.inf
        idx, val = top_n(scores, n)
        return {
            subject: self._to_scored(idx[k], val[k], n, ()) for k, (subject, _) in enumerate(chunk)
        }

    def _recent_matrix(self, recent: np.ndarray) -> sp.csr_matrix:
        return sp.csr_matrix(
            (np.ones(recent.size, np.float32), (np.zeros(recent.size, int), recent)),
            shape=(1, self.n_items),
        )

    def score_batch(
        self, users: np.ndarray, history: sp.csr_matrix, recent: sp.csr_matrix
    ) -> np.ndarray:
        """Blended scores for a batch: `history` rows are the subjects' weighted training
        rows, `recent` rows hold their recent items weighted by recency (newest = 1)."""
        return self.blend.score(Batch(users=users, history=history, recent=recent))

    def _blend(self) -> Blend:
        """The shipped default: every scoring source, weighted by the trained params.

        With EASE in the artifact the core's weight is `w_core_with_ease` and the
        history neighbours step aside (EASE already is the item-item model)."""
        p = self.params
        with_ease = self.ease_rows is not None
        parts: list[tuple[float, ScoreSource]] = [
            (
                p.get("w_core_with_ease", 0.0) if with_ease else p.get("w_core", 1.0),
                AlgorithmSource(self.core),
            ),
            (
                p.get("w_neighbours_with_ease", 0.0) if with_ease else p.get("w_neighbours", 0.0),
                ItemItemSource("neighbours", self.similar_rows),
            ),
            (p.get("w_session", 0.0), ItemItemSource("session", self.session_rows, reads="recent")),
            (
                p.get("w_sequence", 0.0),
                ItemItemSource("sequence", self.followed_rows, reads="recent"),
            ),
            (p.get("w_bought", 0.0), ItemItemSource("bought_together", self.bought_rows)),
            (p.get("w_pop", 0.0), GlobalSource("popularity", self.popularity)),
            (p.get("w_trending", 0.0), GlobalSource("trending", self.trending_scores)),
        ]
        if self.ease_rows is not None:
            parts.insert(1, (p.get("w_ease", 0.0), ItemItemSource("ease", self.ease_rows)))
        return Blend(parts, self.n_items)

    def _lookup(
        self, rows: sp.csr_matrix, items: np.ndarray, n: int, exclude: Collection[str]
    ) -> Scored:
        if items.size == 0:
            return []
        if items.size == 1:
            lo, hi = rows.indptr[items[0]], rows.indptr[items[0] + 1]
            excluded = set(exclude) | {self.item_ids[items[0]]}
            return self._to_scored(rows.indices[lo:hi], rows.data[lo:hi], n, excluded)
        summed = _dense(sp.csr_matrix(rows[items].sum(axis=0)))[0]
        summed[summed == 0] = -np.inf
        return self._rank(summed, n, set(exclude) | {self.item_ids[i] for i in items})

    def similar(self, product_id: str, n: int = 10, exclude: Collection[str] = ()) -> Scored:
        item = self.item_pos.get(product_id)
        if item is None:
            return []
        found = self._lookup(self.similar_rows, np.array([item]), n, exclude)
        if len(found) < n:
            taken = set(exclude) | {pid for pid, _ in found}
            found += self._content(item, n - len(found), taken)
        return found

    def _content(self, item: int, n: int, exclude: Collection[str]) -> Scored:
        """Same category, closest price: for products with no (or too little) history.
        Scores stay below 0.5 so they rank after any collaborative neighbour."""
        cats = self.item_categories.indices[
            self.item_categories.indptr[item] : self.item_categories.indptr[item + 1]
        ]
        if cats.size == 0:
            return []
        candidates = np.unique(self.category_items[cats].indices)
        candidates = candidates[candidates != item]
        if candidates.size == 0:
            return []
        price = self.price[item]
        gap = (
            np.abs(np.log1p(self.price[candidates]) - np.log1p(price))
            if np.isfinite(price)
            else np.zeros(candidates.size)
        )
        score = 0.5 / (1.0 + np.nan_to_num(gap, nan=5.0)) + 1e-6 * self._pop_norm[candidates]
        full = np.full(self.n_items, -np.inf)
        full[candidates] = score
        return self._rank(full, n, set(exclude) | {self.item_ids[item]})

    def bought_together(
        self, product_ids: Sequence[str], n: int = 10, exclude: Collection[str] = ()
    ) -> Scored:
        return self._lookup(self.bought_rows, self._items(product_ids), n, exclude)

    def viewed_together(
        self, product_ids: Sequence[str], n: int = 10, exclude: Collection[str] = ()
    ) -> Scored:
        return self._lookup(self.viewed_rows, self._items(product_ids), n, exclude)

    def _in_category(self, scores: np.ndarray, category_id: str | None) -> np.ndarray | None:
        if category_id is None:
            return scores
        cat = self.category_pos.get(category_id)
        if cat is None:
            return None
        mask = np.full(self.n_items, -np.inf)
        members = self.category_items.indices[
            self.category_items.indptr[cat] : self.category_items.indptr[cat + 1]
        ]
        mask[members] = 0.0
        return scores + mask

    def popular(
        self, n: int = 10, category_id: str | None = None, exclude: Collection[str] = ()
    ) -> Scored:
        scores = self._in_category(
            np.where(self.popularity > 0, self.popularity, -np.inf), category_id
        )
        return [] if scores is None else self._rank(scores, n, exclude)

    def trending(
        self, n: int = 10, category_id: str | None = None, exclude: Collection[str] = ()
    ) -> Scored:
        """Time-decayed interaction counts as of training (TRENDING_HALF_LIFE_HOURS)."""
        t = self.trending_scores
        scores = self._in_category(np.where(t > 0, t, -np.inf), category_id)
        return [] if scores is None else self._rank(scores, n, exclude)

    def new_arrivals(
        self, n: int = 10, category_id: str | None = None, exclude: Collection[str] = ()
    ) -> Scored:
        """Newest first; the score is freshness, 0.5 ** (days older than the newest / 30)."""
        known = np.isfinite(self.created)
        if not known.any():
            return []
        newest = float(self.created[known].max())
        freshness = np.where(known, np.exp2(-(newest - self.created) / (30 * 86400.0)), -np.inf)
        scores = self._in_category(freshness, category_id)
        return [] if scores is None else self._rank(scores, n, exclude)

    def categories_of(self, product_id: str) -> tuple[str, ...]:
        item = self.item_pos.get(product_id)
        if item is None:
            return ()
        cats = self.item_categories.indices[
            self.item_categories.indptr[item] : self.item_categories.indptr[item + 1]
        ]
        return tuple(str(self.category_ids[c]) for c in cats)

    def item_factors(self) -> np.ndarray | None:
        """Every item's factors (rows in `item_ids` order), or None for item-item cores."""
        return self.core.item_factors if isinstance(self.core, FactorModel) else None

    def item_vectors(self, product_ids: Sequence[str]) -> np.ndarray | None:
        factors = self.item_factors()
        if factors is None or factors.ndim != 2:
            return None
        rows = np.array([self.item_pos.get(pid, -1) for pid in product_ids], dtype=np.int64)
        vectors = np.zeros((len(product_ids), factors.shape[1]), dtype=np.float32)
        known = rows >= 0
        vectors[known] = factors[rows[known]]  # only these rows: never copy the whole matrix
        return vectors


def recency_rows(items: np.ndarray, n_items: int, decay: float) -> sp.csr_matrix:
    """One row per subject holding their recent items (newest first, -1 padding ignored)
    weighted decay ** position, so the newest item counts most."""
    items = np.atleast_2d(items)
    rows, pos = np.nonzero(items >= 0)
    weights = np.power(decay, pos).astype(np.float32)
    m = sp.coo_matrix((weights, (rows, items[rows, pos])), shape=(items.shape[0], n_items)).tocsr()
    m.sum_duplicates()
    return m


def _row_normalised(m: sp.csr_matrix) -> sp.csr_matrix:
    """Each row divided by its largest entry, so lookups of different scales add up fairly."""
    m = m.tocsr().astype(np.float32)
    peak = m.max(axis=1).toarray().ravel()
    scale = np.repeat(np.where(peak > 0, 1.0 / np.maximum(peak, 1e-12), 0.0), np.diff(m.indptr))
    return sp.csr_matrix((m.data * scale.astype(np.float32), m.indices, m.indptr), shape=m.shape)
