"""Offline evaluation on a time split: the shipped model against baselines.

Protocol. Events before a cut-off train every method; events after it are the test.
For a test subject the model saw in training, the task is to predict the items they
interact with after the cut-off that they had not interacted with before (their
training row is the context). For a subject the model never saw (a new visitor, a
session), the first half of their test items is revealed as "recent items", newest
first, and the task is to predict the rest: exactly what `for_subject` gets in
production. Only items present in training can be predicted and count as targets.

Metrics at k: precision, recall (hits / |targets|), NDCG, MAP, hit rate, catalog
coverage and intra-list diversity (share of pairs in different categories, else
1 - mean cosine of item factors).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from personalization_plugin.engine.algorithms import Recommender, make
from personalization_plugin.engine.algorithms.base import mask_rows, top_n
from personalization_plugin.engine.algorithms.neighbours import EASE
from personalization_plugin.engine.builder import BuildParams, build_arrays
from personalization_plugin.engine.interactions import EventLog, Interactions, build_interactions
from personalization_plugin.engine.serving_model import ArtifactModel, recency_rows

Scorer = Callable[[np.ndarray, sp.csr_matrix, sp.csr_matrix], np.ndarray]


@dataclass
class Split:
    train: EventLog
    test: EventLog


@dataclass
class Cases:
    """The test cases of a split, as aligned arrays over the training columns."""

    data: Interactions  # training interactions
    users: np.ndarray  # training row, or -1 for subjects unseen in training
    history: sp.csr_matrix  # training rows (empty for unseen subjects)
    recent: sp.csr_matrix  # revealed recent items, recency weighted (unseen subjects only)
    targets: sp.csr_matrix  # binary: what each case should find

    def __len__(self) -> int:
        return int(self.users.shape[0])


def time_split(log: EventLog, test_fraction: float = 0.1) -> Split | None:
    """Train on the earliest events, test on the last `test_fraction` of them (by time)."""
    if len(log) < 2:
        return None
    order = np.argsort(log.timestamp, kind="stable")
    cut = log.timestamp[order[int(len(log) * (1 - test_fraction))]]
    train, test = log.timestamp < cut, log.timestamp >= cut
    if not train.any() or not test.any():
        return None
    return Split(log.select(train), log.select(test))


def build_cases(
    split: Split,
    weights: Mapping[str, float],
    half_life_days: float | None,
    *,
    exclude_items: Collection[str] = (),
    recency_decay: float = 0.5,
) -> Cases:
    now = float(split.train.timestamp.max())
    data = build_interactions(
        split.train, weights, half_life_days, now=now, exclude_items=exclude_items
    )
    test = split.test
    positive = np.isin(test.type, [t for t, w in weights.items() if w > 0]) & np.isin(
        test.item, data.item_ids
    )
    test = test.select(
        np.flatnonzero(positive)[np.argsort(test.timestamp[positive], kind="stable")]
    )
    item = np.searchsorted(data.item_ids, test.item)
    subjects, subj = np.unique(test.subject, return_inverse=True)
    # first occurrence of each (subject, item), in time order
    pair = subj.astype(np.int64) * data.n_items + item
    _, first = np.unique(pair, return_index=True)
    first.sort()
    subj, item = subj[first], item[first]
    order = np.argsort(subj, kind="stable")
    subj, item = subj[order], item[order]
    counts = np.bincount(subj, minlength=subjects.shape[0])
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    position = np.arange(subj.shape[0]) - starts[subj]

    known_pos = {s: k for k, s in enumerate(data.subject_ids.tolist())}
    train_row = np.array([known_pos.get(s, -1) for s in subjects.tolist()], dtype=np.int64)
    known = train_row[subj] >= 0
    seen = np.zeros(subj.shape[0], dtype=bool)
    if known.any():
        seen[known] = np.asarray(data.matrix[train_row[subj[known]], item[known]]).ravel() > 0
    reveal = np.maximum(1, counts // 2)
    revealed = ~known & (position < reveal[subj])
    is_target = ~seen & ~revealed
    target_counts = np.bincount(subj[is_target], minlength=subjects.shape[0])
    eligible = (target_counts > 0) & ((train_row >= 0) | (counts >= 2))
    case_of = np.cumsum(eligible) - 1
    n_cases = int(eligible.sum())

    keep_t = is_target & eligible[subj]
    targets = sp.csr_matrix(
        (np.ones(keep_t.sum(), np.float32), (case_of[subj[keep_t]], item[keep_t])),
        shape=(n_cases, data.n_items),
    )
    keep_r = revealed & eligible[subj]
    # newest first: position 0 is the most recent revealed item
    rank = (reveal[subj[keep_r]] - 1 - position[keep_r]).astype(np.int64)
    recent_items = np.full((n_cases, int(rank.max()) + 1 if rank.size else 1), -1, dtype=np.int64)
    recent_items[case_of[subj[keep_r]], rank] = item[keep_r]
    users = train_row[eligible]
    history = data.matrix[np.maximum(users, 0)].tocsr()
    history = sp.diags((users >= 0).astype(np.float32)) @ history
    return Cases(
        data=data,
        users=users,
        history=sp.csr_matrix(history),
        recent=recency_rows(recent_items, data.n_items, recency_decay),
        targets=targets,
    )


def sample_cases(cases: Cases, max_cases: int, seed: int = 0) -> Cases:
    """At most `max_cases` of the cases, drawn uniformly without replacement (seeded).

    A metric's standard error shrinks with the square root of the cases: 5,000 cases
    pin NDCG@10 to about +-0.005, and scoring every test subject of a large store
    against every product costs far more than that precision is worth. `max_cases <= 0`
    keeps them all."""
    n = len(cases)
    if max_cases <= 0 or n <= max_cases:
        return cases
    keep = np.sort(np.random.default_rng(seed).choice(n, max_cases, replace=False))
    return Cases(
        data=cases.data,
        users=cases.users[keep],
        history=cases.history[keep],
        recent=cases.recent[keep],
        targets=cases.targets[keep],
    )


def case_hits(recs: np.ndarray, targets: sp.csr_matrix) -> np.ndarray:
    """Boolean (cases, k): whether each recommended item is one of the case's targets."""
    n_cases, n_items = targets.shape
    rows = np.repeat(np.arange(n_cases), np.diff(targets.indptr))
    target_keys = np.sort(rows.astype(np.int64) * n_items + targets.indices)
    rec_keys = np.arange(n_cases)[:, None].astype(np.int64) * n_items + recs
    return (recs >= 0) & np.isin(rec_keys, target_keys)


def case_ndcg(hits: np.ndarray, n_targets: np.ndarray) -> np.ndarray:
    """NDCG of each case from its hit matrix (cases, k) and its number of targets."""
    k = hits.shape[1]
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = np.cumsum(discounts)[np.minimum(n_targets, k) - 1]
    return (hits * discounts).sum(axis=1) / ideal


def ranking_metrics(recs: np.ndarray, targets: sp.csr_matrix, k: int) -> dict[str, float]:
    """Mean precision/recall/NDCG/MAP/hit rate at k over cases, plus coverage."""
    recs = recs[:, :k]
    n_cases, n_items = targets.shape
    if n_cases == 0:
        return {}
    hits = case_hits(recs, targets)
    n_targets = np.diff(targets.indptr)
    ndcg = case_ndcg(hits, n_targets)
    precision_at = np.cumsum(hits, axis=1) / np.arange(1, k + 1)
    n_hits = hits.sum(axis=1)
    return {
        f"precision@{k}": float(np.mean(n_hits / k)),
        f"recall@{k}": float(np.mean(n_hits / n_targets)),
        f"ndcg@{k}": float(np.mean(ndcg)),
        # the spread of the mean over cases: two models closer than ~2 of these are a tie
        f"ndcg@{k}_stderr": float(np.std(ndcg) / np.sqrt(n_cases)),
        f"map@{k}": float(np.mean((precision_at * hits).sum(axis=1) / np.minimum(n_targets, k))),
        f"hit_rate@{k}": float(np.mean(n_hits > 0)),
        "coverage": float(np.unique(recs[recs >= 0]).size / n_items),
    }


def intra_list_diversity(
    recs: np.ndarray, categories: np.ndarray | None, vectors: np.ndarray | None
) -> float | None:
    """Mean pairwise dissimilarity inside each list: different category (codes, -1 unknown)
    or 1 - cosine of item vectors. None when neither is available."""
    recs = recs[(recs >= 0).all(axis=1)]
    if recs.size == 0 or recs.shape[1] < 2:
        return None
    iu = np.triu_indices(recs.shape[1], 1)
    if categories is not None and (categories >= 0).any():
        c = categories[recs]
        known = (c[:, iu[0]] >= 0) & (c[:, iu[1]] >= 0)
        differ = c[:, iu[0]] != c[:, iu[1]]
        return float(differ[known].mean()) if known.any() else None
    if vectors is not None:
        v = vectors[recs]
        v = v / (np.linalg.norm(v, axis=2, keepdims=True) + 1e-9)
        cos = np.einsum("nkf,nlf->nkl", v, v)[:, iu[0], iu[1]]
        return float(1.0 - cos.mean())
    return None


def evaluate_scorer(scorer: Scorer, cases: Cases, k: int = 10, batch: int = 512) -> np.ndarray:
    """Top-k recommendations of `scorer` for every case, seen/revealed items removed."""
    out = np.full((len(cases), k), -1, dtype=np.int64)
    for lo in range(0, len(cases), batch):
        hi = min(lo + batch, len(cases))
        history, recent = cases.history[lo:hi], cases.recent[lo:hi]
        scores = np.asarray(scorer(cases.users[lo:hi], history, recent), dtype=np.float32)
        if not scores.flags.writeable:
            scores = scores.copy()
        mask_rows(scores, sp.csr_matrix(history + recent))
        out[lo:hi] = top_n(scores, k)[0]
    return out


def scorer_of(model: Recommender) -> Scorer:
    """Score like a plain library model: history plus recent items (binary) as the
    context; unseen subjects are folded in from that context."""

    def score(users: np.ndarray, history: sp.csr_matrix, recent: sp.csr_matrix) -> np.ndarray:
        binary = recent.copy()
        binary.data[:] = 1.0
        return model.score(users, sp.csr_matrix(history + binary))

    return score


def shipped_model(
    data: Interactions, params: BuildParams, prefit_ease: EASE | None = None
) -> ArtifactModel:
    arrays, _ = build_arrays(data, params, prefit_ease=prefit_ease)
    return ArtifactModel(arrays, {"version": "evaluation", "params": params.to_dict()})


BASELINES: dict[str, dict[str, Any]] = {
    "popularity": {"name": "popularity"},
    "item_knn": {"name": "item_knn", "k": 100},
    "als_defaults": {
        "name": "als",
        "factors": 100,
        "regularization": 0.01,
        "alpha": 1.0,
        "iterations": 15,
    },
    "ease": {"name": "ease", "l2": 200.0},
}


def compare(
    cases: Cases,
    params: BuildParams,
    *,
    k: int = 10,
    baselines: Collection[str] = tuple(BASELINES),
    item_categories: Mapping[str, str] | None = None,
) -> dict[str, dict[str, Any]]:
    """Metrics of the shipped model ("default") and each baseline on the same cases."""
    data = cases.data
    codes = _category_codes(data.item_ids, item_categories)
    scorers: dict[str, Scorer] = {}
    ease: EASE | None = None
    for name in baselines:
        spec = dict(BASELINES[name])
        if name == "ease":
            if data.n_items > params.ease_max_items:
                continue
            spec["l2"] = params.ease_l2
        fitted = make(spec.pop("name"), **spec).fit(data.matrix)
        ease = fitted if isinstance(fitted, EASE) else ease
        scorers[name] = scorer_of(fitted)
    model = shipped_model(data, params, prefit_ease=ease)
    scorers = {"default": model.score_batch, **scorers}
    results: dict[str, dict[str, Any]] = {}
    for name, scorer in scorers.items():
        recs = evaluate_scorer(scorer, cases, k)
        metrics: dict[str, Any] = ranking_metrics(recs, cases.targets, k)
        metrics["diversity"] = intra_list_diversity(recs, codes, model.item_factors())
        metrics["cases"] = len(cases)
        results[name] = metrics
    return results


MAX_HOLDOUT_CASES = 5000


@dataclass
class Holdout:
    """What a holdout evaluation measured, and the model it fitted on the training part
    (training warm starts the final fit from it instead of fitting from scratch)."""

    metrics: dict[str, Any]
    arrays: dict[str, np.ndarray] | None = None


def holdout(
    split: Split,
    params: BuildParams,
    weights: Mapping[str, float],
    half_life_days: float | None,
    *,
    exclude_items: Collection[str] = (),
    k: int = 10,
    max_cases: int = MAX_HOLDOUT_CASES,
    seed: int = 0,
    label: str = "last 10% of time",
) -> Holdout:
    """The shipped recipe fitted on `split.train` and scored on (at most `max_cases` of)
    the cases of `split.test`."""
    cases = build_cases(
        split,
        weights,
        half_life_days,
        exclude_items=exclude_items,
        recency_decay=params.recency_decay,
    )
    if len(cases) == 0:
        return Holdout({})
    total = len(cases)
    cases = sample_cases(cases, max_cases, seed)
    arrays, _ = build_arrays(cases.data, params)
    model = ArtifactModel(arrays, {"version": "evaluation", "params": params.to_dict()})
    recs = evaluate_scorer(model.score_batch, cases, k)
    metrics = {
        **ranking_metrics(recs, cases.targets, k),
        "cases": len(cases),
        "test_subjects": total,
        "holdout": label,
    }
    return Holdout(metrics, arrays)


def evaluate_shipped(
    split: Split,
    params: BuildParams,
    weights: Mapping[str, float],
    half_life_days: float | None,
    *,
    exclude_items: Collection[str] = (),
    k: int = 10,
    max_cases: int = 0,
) -> dict[str, Any]:
    """Holdout metrics of the shipped recipe alone (every case unless `max_cases`)."""
    return holdout(
        split,
        params,
        weights,
        half_life_days,
        exclude_items=exclude_items,
        k=k,
        max_cases=max_cases,
    ).metrics


def _category_codes(
    item_ids: np.ndarray, categories: Mapping[str, str] | None
) -> np.ndarray | None:
    if not categories:
        return None
    names = [categories.get(i, "") for i in item_ids.tolist()]
    uniq = {c: k for k, c in enumerate(sorted(set(names) - {""}))}
    return np.array([uniq.get(c, -1) for c in names], dtype=np.int64)
