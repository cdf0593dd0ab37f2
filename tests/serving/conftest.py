"""Serving fixtures: an in-memory catalog, a hand-written model, real real-time state."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from personalization_plugin.adapters import CategoryInfo, ProductInfo
from personalization_plugin.engine.base import Scored
from personalization_plugin.serving import clear_caches
from personalization_plugin.tracking.backends import get_local_backend
from personalization_plugin.tracking.identity import Visitor
from personalization_plugin.tracking.products import clear_cache as clear_product_cache
from personalization_plugin.tracking.realtime import get_local_realtime

from .adapter import TestAdapter


def product(
    pid: str | int,
    category: str = "chairs",
    *,
    title: str | None = None,
    price: str | None = "10",
    in_stock: bool = True,
    published: bool = True,
    categories: tuple[str, ...] | None = None,
) -> ProductInfo:
    return ProductInfo(
        id=str(pid),
        title=title or f"Product {pid}",
        price=Decimal(price) if price is not None else None,
        category_ids=categories if categories is not None else (category,),
        in_stock=in_stock,
        published=published,
    )


@dataclass
class Catalog:
    """The test store's catalog; `add` replaces products by id."""

    def add(self, *products: ProductInfo) -> None:
        for info in products:
            TestAdapter.products[info.id] = info

    def fill(self, n: int, categories: Sequence[str] = ("chairs",), start: int = 1) -> list[str]:
        ids = []
        for k in range(n):
            pid = str(start + k)
            self.add(product(pid, categories[k % len(categories)]))
            ids.append(pid)
        return ids

    def name_category(self, cid: str, name: str) -> None:
        TestAdapter.categories[cid] = CategoryInfo(cid, name)


@pytest.fixture(autouse=True)
def serving_store(personalization: Any) -> Iterator[Catalog]:
    """Every serving test runs against the in-memory test store with fresh caches."""
    personalization(ADAPTER="tests.serving.adapter.TestAdapter")
    TestAdapter.products = {}
    TestAdapter.categories = {}
    TestAdapter.calls = []
    TestAdapter.scans = 0
    TestAdapter.batches = 0
    _reset()
    yield Catalog()
    _reset()


TEST_SUBJECTS = {"v:alice", "v:bob", "v:carol", "v:newcomer", "c:alice-account"}


def _reset() -> None:
    get_local_backend().scrub(TEST_SUBJECTS)  # nothing left to flush at exit, outside a test DB
    clear_caches()
    get_local_realtime().clear()
    clear_product_cache()


@pytest.fixture
def catalog(serving_store: Catalog) -> Catalog:
    return serving_store


def _top(pairs: Scored, n: int, exclude: Collection[str]) -> Scored:
    return [(p, s) for p, s in pairs if p not in exclude][:n]


@dataclass
class HandModel:
    """A `ServingModel` written out by hand: each answer is whatever the test put in.

    Only the model is replaced (the engine is another unit); everything else in these
    tests is real.
    """

    version: str = "hand-1"
    algorithm: str = "hand"
    personal: dict[str, Scored] = field(default_factory=dict)
    similar_to: dict[str, Scored] = field(default_factory=dict)
    bought_with: dict[str, Scored] = field(default_factory=dict)
    viewed_with: dict[str, Scored] = field(default_factory=dict)
    popular_items: Scored = field(default_factory=list)
    newest: Scored = field(default_factory=list)
    trending_items: Scored = field(default_factory=list)
    calls: list[str] = field(default_factory=list)

    def knows_subject(self, subject: str) -> bool:
        return subject in self.personal

    def for_subject(
        self,
        subject: str,
        recent_items: Sequence[str] = (),
        n: int = 10,
        exclude: Collection[str] = (),
    ) -> Scored:
        self.calls.append(f"for_subject:{subject}:{','.join(recent_items)}")
        pairs = [pair for pid in recent_items for pair in self.similar_to.get(pid, [])]
        pairs += self.personal.get(subject, [])  # recent items steer first, as folding-in does
        return _top(pairs, n, exclude)

    def similar(self, product_id: str, n: int = 10, exclude: Collection[str] = ()) -> Scored:
        return _top(self.similar_to.get(product_id, []), n, exclude)

    def bought_together(
        self, product_ids: Sequence[str], n: int = 10, exclude: Collection[str] = ()
    ) -> Scored:
        pairs = [pair for pid in product_ids for pair in self.bought_with.get(pid, [])]
        return _top(sorted(pairs, key=lambda p: -p[1]), n, exclude)

    def viewed_together(
        self, product_ids: Sequence[str], n: int = 10, exclude: Collection[str] = ()
    ) -> Scored:
        pairs = [pair for pid in product_ids for pair in self.viewed_with.get(pid, [])]
        return _top(pairs, n, exclude)

    def popular(
        self, n: int = 10, category_id: str | None = None, exclude: Collection[str] = ()
    ) -> Scored:
        pairs = self.popular_items
        if category_id is not None:
            pairs = [
                (p, s)
                for p, s in pairs
                if p in TestAdapter.products and category_id in TestAdapter.products[p].category_ids
            ]
        return _top(pairs, n, exclude)

    def new_arrivals(
        self, n: int = 10, category_id: str | None = None, exclude: Collection[str] = ()
    ) -> Scored:
        return _top(self.newest, n, exclude)

    def categories_of(self, product_id: str) -> tuple[str, ...]:
        info = TestAdapter.products.get(product_id)
        return info.category_ids if info else ()

    def trending(
        self, n: int = 10, category_id: str | None = None, exclude: Collection[str] = ()
    ) -> Scored:
        return _top(self.trending_items, n, exclude)

    def for_subjects(
        self,
        subjects: Sequence[str],
        n: int = 10,
        batch: int = 256,
        recent: Mapping[str, Sequence[str]] | None = None,
    ) -> dict[str, Scored]:
        return {
            s: self.for_subject(s, (recent or {}).get(s, ()), n=n)
            for s in subjects
            if self.knows_subject(s)
        }

    def item_vectors(self, product_ids: Sequence[str]) -> None:
        return None  # no factors: diversity goes by categories


@pytest.fixture
def model(monkeypatch: pytest.MonkeyPatch) -> HandModel:
    """Install a hand-written model as the active one."""
    from personalization_plugin.engine import registry

    hand = HandModel()
    monkeypatch.setattr(registry, "get_active_model", lambda: hand)
    return hand


@pytest.fixture
def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    from personalization_plugin.engine import registry

    monkeypatch.setattr(registry, "get_active_model", lambda: None)


def scored(*ids: str | int) -> Scored:
    """Ids best first, with descending scores."""
    return [(str(pid), float(len(ids) - k)) for k, pid in enumerate(ids)]


@pytest.fixture
def alice() -> Visitor:
    return Visitor(visitor_id="alice", consent="granted")


@pytest.fixture
def opted_out() -> Visitor:
    return Visitor(visitor_id="bob", consent="denied")
