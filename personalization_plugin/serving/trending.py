"""Trending as serving shows it: the live board smoothed towards the catalog's recent
popularity, so a handful of shoppers (or one bot) moves an item only a little.

The live board (`tracking.trending`) already counts distinct shoppers and requires a
minimum support. Its scores and the trained model's trending scores (decayed interaction
counts as of training) are on different scales, so they are never compared raw: both
become shares, and each item gets the smoothed share of recent attention

    (live score + m * prior share) / (live total + m)

where m = TRENDING_PRIOR_SHOPPERS is how many shoppers' worth of evidence the prior is.
A quiet store follows its prior; a busy one follows its shoppers; an item no shopper
and no model knows scores 0 and is never ranked above one they do.
"""

from __future__ import annotations

from collections.abc import Sequence


def blend(
    live: Sequence[tuple[str, float]],
    prior: Sequence[tuple[str, float]],
    strength: float,
) -> list[tuple[str, float, bool]]:
    """(item, smoothed share, in the prior) for the union of both lists, best first.

    Args:
        live: the live board's (item, decayed distinct-shopper score) pairs.
        prior: the model's trending (item, score) pairs (any scale; empty without a model).
        strength: the prior's weight in shoppers (TRENDING_PRIOR_SHOPPERS); 0 = live only.
    """
    live_total = sum(max(score, 0.0) for _, score in live)
    prior_total = sum(max(score, 0.0) for _, score in prior)
    weight = strength if prior_total > 0 else 0.0
    denominator = live_total + weight
    if denominator <= 0:
        return []
    scores: dict[str, float] = {pid: max(score, 0.0) for pid, score in live}
    in_prior: set[str] = set()
    if weight:
        for pid, score in prior:
            scores[pid] = scores.get(pid, 0.0) + weight * max(score, 0.0) / prior_total
            in_prior.add(pid)
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(pid, score / denominator, pid in in_prior) for pid, score in ranked if score > 0]
