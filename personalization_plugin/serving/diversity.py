"""Keep a list varied: a per-category share cap, MMR re-ranking and a discovery slot.

A list of eight near-identical chairs sells fewer chairs than four chairs, a table, a
lamp... Maximal Marginal Relevance picks, at each step, the candidate maximising
`lambda * relevance - (1 - lambda) * max similarity to what is already picked`;
similarity is the cosine of the model's item factors when it exposes them
(`item_vectors(ids)`), else 1 for products sharing their main category. Candidate pools
are small (a few dozen), so the greedy loop runs over positions while each step is
vectorised over candidates.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np

from personalization_plugin.engine.base import ServingModel

logger = logging.getLogger("personalization_plugin.serving")


def primary_categories(category_ids: Sequence[Sequence[str]]) -> np.ndarray:
    """An integer code per product for its main category (-1 when it has none)."""
    codes: dict[str, int] = {}
    return np.array(
        [codes.setdefault(cats[0], len(codes)) if cats else -1 for cats in category_ids],
        dtype=np.int64,
    )


def similarity_matrix(categories: np.ndarray, vectors: np.ndarray | None = None) -> np.ndarray:
    """Pairwise similarity in [0, 1]: factor cosine if given, else same main category."""
    if vectors is not None and len(vectors) == len(categories):
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        unit = vectors / np.where(norms == 0, 1.0, norms)
        return np.clip(unit @ unit.T, 0.0, 1.0)
    same = categories[:, None] == categories[None, :]
    return (same & (categories[:, None] >= 0)).astype(float)


def category_cap(limit: int, max_share: float) -> int:
    """Most items of one category allowed in a list of `limit` (at least one)."""
    if max_share <= 0 or max_share >= 1:
        return limit
    return max(1, math.floor(max_share * limit))


def rerank(
    relevance: np.ndarray,
    categories: np.ndarray,
    limit: int,
    *,
    mmr_lambda: float = 1.0,
    max_share: float = 1.0,
    vectors: np.ndarray | None = None,
) -> list[int]:
    """Indices of the chosen candidates, in display order.

    The category cap is relaxed only when nothing else is left, so a list is never
    shorter than it could be.
    """
    n = len(relevance)
    take = min(limit, n)
    if take == 0:
        return []
    cap = category_cap(limit, max_share)
    diversify = mmr_lambda < 1.0
    sim = similarity_matrix(categories, vectors) if diversify else None
    max_sim = np.zeros(n)
    available = np.ones(n, dtype=bool)
    counts: dict[int, int] = {}
    chosen: list[int] = []
    for _ in range(take):
        score = mmr_lambda * relevance - (1.0 - mmr_lambda) * max_sim
        score = np.where(available, score, -np.inf)
        full = [code for code, count in counts.items() if count >= cap]
        if full:
            within_cap = np.where(np.isin(categories, full) & (categories >= 0), -np.inf, score)
            if np.isfinite(within_cap).any():
                score = within_cap
        best = int(np.argmax(score))
        chosen.append(best)
        available[best] = False
        code = int(categories[best])
        if code >= 0:
            counts[code] = counts.get(code, 0) + 1
        if sim is not None:
            np.maximum(max_sim, sim[best], out=max_sim)
    return chosen


def discovery_positions(limit: int, every: int) -> list[int]:
    """0-based slots that hold a discovery item: one in every `every` (none when 0)."""
    if every <= 0:
        return []
    return list(range(every - 1, limit, every))


def item_vectors(model: ServingModel | None, ids: Sequence[str]) -> np.ndarray | None:
    """The model's item factors for these ids, else None (no model, an item-item core, or
    a model that fails: diversity then falls back to categories)."""
    if model is None:
        return None
    try:
        return model.item_vectors(ids)
    except Exception:
        logger.exception(
            "Model %s could not give item vectors; diversifying by category", model.version
        )
        return None
