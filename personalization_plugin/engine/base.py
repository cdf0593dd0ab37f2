"""The contract between the engine and serving.

Training produces a `ServingModel`: everything serving needs to answer any placement
from one loaded artifact, with ids already mapped back to the store's opaque strings.
Serving (`personalization_plugin.serving`) only ever talks to this protocol, so models
are interchangeable (the lesson of implicit's `RecommenderBase`).

Every method returns `list[tuple[product_id, score]]`, best first, at most `n` long,
never containing an id from `exclude`. Unknown ids give an empty list, never an error.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

Scored = list[tuple[str, float]]


@runtime_checkable
class ServingModel(Protocol):
    version: str
    algorithm: str

    def knows_subject(self, subject: str) -> bool:
        """Whether the model has learned factors for this subject ("c:<id>" / "v:<id>")."""
        ...

    def for_subject(
        self,
        subject: str,
        recent_items: Sequence[str] = (),
        n: int = 10,
        exclude: Collection[str] = (),
    ) -> Scored:
        """Personal top-n. `recent_items` (newest first) are folded in for real-time
        freshness; a subject the model never saw is served from `recent_items` alone
        (session-based item-to-item). Empty when there is nothing to go on."""
        ...

    def similar(self, product_id: str, n: int = 10, exclude: Collection[str] = ()) -> Scored:
        """Items like this one (collaborative, then content fallback for new products)."""
        ...

    def bought_together(
        self, product_ids: Sequence[str], n: int = 10, exclude: Collection[str] = ()
    ) -> Scored:
        """Items bought with these (co-occurrence in orders scored by lift), for the
        product page (one id) and basket completion (the cart's ids)."""
        ...

    def viewed_together(
        self, product_ids: Sequence[str], n: int = 10, exclude: Collection[str] = ()
    ) -> Scored:
        """Items viewed in the same sessions as these, scored by lift."""
        ...

    def popular(
        self, n: int = 10, category_id: str | None = None, exclude: Collection[str] = ()
    ) -> Scored:
        """Most interacted-with items at training time, optionally within a category."""
        ...

    def trending(
        self, n: int = 10, category_id: str | None = None, exclude: Collection[str] = ()
    ) -> Scored:
        """Time-decayed interaction counts as of training: stands in for the real-time
        trending board when that is empty or unreachable."""
        ...

    def for_subjects(
        self,
        subjects: Sequence[str],
        n: int = 10,
        batch: int = 256,
        recent: Mapping[str, Sequence[str]] | None = None,
    ) -> dict[str, Scored]:
        """`for_subject` for many known subjects at once (precomputing cached lists);
        subjects the model does not know are left out."""
        ...

    def item_vectors(self, product_ids: Sequence[str]) -> np.ndarray | None:
        """One row of item factors per id (zeros for ids the model never saw), for
        diversity; None when the model has no item factors (item-item cores)."""
        ...

    def new_arrivals(
        self, n: int = 10, category_id: str | None = None, exclude: Collection[str] = ()
    ) -> Scored:
        """Newest published products (from the catalog snapshot taken at training)."""
        ...

    def categories_of(self, product_id: str) -> tuple[str, ...]:
        """Category ids of a product as of training (for diversity and reasons)."""
        ...
