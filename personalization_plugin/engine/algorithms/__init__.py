"""Every algorithm behind one interface (`base.Recommender`), looked up by name."""

from __future__ import annotations

from typing import Any

from personalization_plugin.engine.algorithms.base import Recommender, top_n
from personalization_plugin.engine.algorithms.factors import ALS, BPR
from personalization_plugin.engine.algorithms.neighbours import BM25KNN, EASE, ItemKNN, RP3beta
from personalization_plugin.engine.algorithms.popularity import Popularity

ALGORITHMS: dict[str, type[Recommender]] = {
    cls.name: cls for cls in (ALS, BPR, ItemKNN, BM25KNN, EASE, RP3beta, Popularity)
}


def make(name: str, **params: Any) -> Recommender:
    """A fresh, unfitted model; raises ValueError naming the known algorithms."""
    try:
        cls = ALGORITHMS[name]
    except KeyError:
        known = ", ".join(sorted(ALGORITHMS))
        raise ValueError(f"Unknown algorithm {name!r}; use one of: {known}.") from None
    return cls(**params)


__all__ = ["ALGORITHMS", "Recommender", "make", "top_n"]
