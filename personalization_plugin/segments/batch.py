"""Batch membership: every rule kind evaluated for every shopper at once, with numpy.

Used for segment sizes (`personalization_segments`). Each leaf becomes a boolean array
over all subjects and the tree combines them with &, | and ~; the per-request closures
in `rules.py` and these arrays implement the same definitions (a test checks that they
agree subject by subject). Request-context rules have no request here: they are false.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from typing import Any

import numpy as np

from personalization_plugin.core.exceptions import InvalidRuleTree
from personalization_plugin.scores.features import DAY, EventArrays, from_events
from personalization_plugin.segments.rules import OPS, RULES, _leaf


class Population:
    """Per-subject aggregates over stored events, computed lazily, each at most once."""

    def __init__(self, events: EventArrays, now: datetime, population: dict[str, Any]) -> None:
        from django.utils import timezone

        self.e = events
        self.n = len(events.subjects)
        self.now = now.timestamp()
        self.today = timezone.localtime(now, timezone.get_default_timezone()).date().toordinal()
        self.stats = population

    def _count(self, mask: np.ndarray) -> np.ndarray:
        return np.bincount(self.e.code[mask], minlength=self.n)

    @cached_property
    def first_day(self) -> np.ndarray:
        first = np.full(self.n, np.iinfo(np.int64).max)
        np.minimum.at(first, self.e.code, self.e.day)
        return first

    @cached_property
    def _orders(self) -> tuple[np.ndarray, np.ndarray]:
        """Distinct (subject, order) pairs: subject codes and order times, sorted by both."""
        buy = (self.e.kind == "purchase") & (self.e.order != "")
        if not buy.any():
            return np.zeros(0, np.int64), np.zeros(0)
        order_codes = np.unique(self.e.order[buy], return_inverse=True)[1]
        pair = self.e.code[buy].astype(np.int64) * (order_codes.max() + 1) + order_codes
        keys, inverse = np.unique(pair, return_inverse=True)
        placed = np.full(len(keys), np.inf)
        np.minimum.at(placed, inverse, self.e.ts[buy])
        subject = keys // (order_codes.max() + 1)
        order = np.lexsort((placed, subject))
        return subject[order], placed[order]

    @cached_property
    def order_count(self) -> np.ndarray:
        return np.bincount(self._orders[0], minlength=self.n)

    @cached_property
    def spend(self) -> np.ndarray:
        buy = self.e.kind == "purchase"
        return np.round(
            np.bincount(self.e.code[buy], weights=self.e.amount[buy], minlength=self.n), 2
        )

    @cached_property
    def last_order(self) -> np.ndarray:
        last = np.full(self.n, -np.inf)
        np.maximum.at(last, self._orders[0], self._orders[1])
        return last

    @cached_property
    def days_since_last_order(self) -> np.ndarray:
        return np.where(np.isfinite(self.last_order), (self.now - self.last_order) / DAY, np.nan)

    @cached_property
    def median_interval(self) -> np.ndarray:
        """Median days between consecutive orders per subject (nan with fewer than two)."""
        subject, placed = self._orders
        result = np.full(self.n, np.nan)
        if len(subject) < 2:
            return result
        same = subject[1:] == subject[:-1]
        gaps, who = (np.diff(placed) / DAY)[same], subject[1:][same]
        if not len(gaps):
            return result
        order = np.lexsort((gaps, who))
        gaps, who = gaps[order], who[order]
        counts = np.bincount(who, minlength=self.n)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        has = counts > 0
        lo = starts[has] + (counts[has] - 1) // 2
        hi = starts[has] + counts[has] // 2
        result[has] = (gaps[lo] + gaps[hi]) / 2.0
        return result

    @cached_property
    def view_category(self) -> np.ndarray:
        """Category per event; product views without one get the product's first category."""
        from personalization_plugin.profiles.profile import view_categories

        cats = self.e.category.copy()
        blank = (self.e.kind == "view") & (cats == "")
        if blank.any():
            found = view_categories(sorted(set(self.e.product[blank])))
            names: list[str] = [found.get(p, "") for p in self.e.product[blank]]
            cats[blank] = np.asarray(names, dtype=np.object_)
        return cats

    @cached_property
    def _product_code(self) -> tuple[np.ndarray, int]:
        codes = (
            np.unique(self.e.product, return_inverse=True)[1] if self.n else np.zeros(0, np.int64)
        )
        return codes.astype(np.int64), int(codes.max() + 1) if len(codes) else 1

    def _pairs(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(pair ids, subject per event, product code per event) for events under mask."""
        codes, width = self._product_code
        subject = self.e.code[mask].astype(np.int64)
        return subject * width + codes[mask], subject, codes[mask]

    @cached_property
    def cart_state(self) -> tuple[np.ndarray, np.ndarray]:
        """(has products in cart, last cart activity) per subject, as the profile folds them."""
        adds = self.e.kind == "cart_add"
        removes = self.e.kind == "cart_remove"
        touched = np.zeros(self.n)
        np.maximum.at(touched, self.e.code[adds | removes], self.e.ts[adds | removes])
        last_buy = np.full(self.n, -np.inf)
        buy = self.e.kind == "purchase"
        np.maximum.at(last_buy, self.e.code[buy], self.e.ts[buy])
        either = adds | removes
        keys, subject, _ = self._pairs(either)
        if not len(keys):
            return np.zeros(self.n, bool), touched
        uniq, inverse = np.unique(keys, return_inverse=True)
        last_add = np.full(len(uniq), -np.inf)
        last_remove = np.full(len(uniq), -np.inf)
        kinds = self.e.kind[either]
        np.maximum.at(
            last_add, inverse[kinds == "cart_add"], self.e.ts[either][kinds == "cart_add"]
        )
        np.maximum.at(
            last_remove, inverse[kinds == "cart_remove"], self.e.ts[either][kinds == "cart_remove"]
        )
        pair_subject = np.zeros(len(uniq), np.int64)
        pair_subject[inverse] = subject
        in_cart = (last_add > last_remove) & (last_add > last_buy[pair_subject])
        has = np.zeros(self.n, bool)
        has[pair_subject[in_cart]] = True
        return has, touched

    def viewed_not_carted(self, min_views: int, since: float) -> np.ndarray:
        views = self.e.kind == "view"
        keys, subject, _ = self._pairs(views)
        if not len(keys):
            return np.zeros(self.n, bool)
        uniq, inverse = np.unique(keys, return_inverse=True)
        count = np.bincount(inverse, minlength=len(uniq))
        last = np.full(len(uniq), -np.inf)
        np.maximum.at(last, inverse, self.e.ts[views])
        carted_keys, _, _ = self._pairs(self.e.kind == "cart_add")
        carted = np.isin(uniq, carted_keys)
        pair_subject = np.zeros(len(uniq), np.int64)
        pair_subject[inverse] = subject
        hit = (count >= min_views) & (last >= since) & ~carted
        out = np.zeros(self.n, bool)
        out[pair_subject[hit]] = True
        return out


Batch = Callable[[Population, dict[str, Any]], np.ndarray]


def _rfm(pop: Population, p: dict[str, Any]) -> np.ndarray:
    stats = pop.stats
    if not stats:
        return np.zeros(pop.n, bool)
    buyer = pop.order_count > 0
    days = np.nan_to_num(pop.days_since_last_order, nan=0.0)
    recency = 5 - np.searchsorted(stats["recency_days"], days, side="left")
    frequency = 1 + np.searchsorted(stats["frequency"], pop.order_count, side="left")
    monetary = 1 + np.searchsorted(stats["monetary"], pop.spend, side="left")
    return (
        buyer
        & (recency >= p["min_recency"])
        & (frequency >= p["min_frequency"])
        & (monetary >= p["min_monetary"])
    )


def _top_spenders(pop: Population, p: dict[str, Any]) -> np.ndarray:
    from personalization_plugin.segments.breakpoints import spend_threshold

    threshold = spend_threshold(pop.stats, p["percent"])
    if threshold is None:
        return np.zeros(pop.n, bool)
    return (pop.spend > 0) & (pop.spend >= threshold)


def _category(pop: Population, p: dict[str, Any]) -> np.ndarray:
    since = pop.today - p["days"] + 1
    mask = (
        np.isin(pop.e.kind, ["view", "category_view"])
        & (pop.view_category == p["category"])
        & (pop.e.day >= since)
    )
    return pop._count(mask) >= p["min_views"]


def _abandoned(pop: Population, p: dict[str, Any]) -> np.ndarray:
    has, touched = pop.cart_state
    return has & (pop.now - touched >= p["idle_minutes"] * 60.0)


def _searched(pop: Population, p: dict[str, Any]) -> np.ndarray:
    search = (pop.e.kind == "search") & (pop.e.ts >= pop.now - p["days"] * DAY)
    if not search.any():
        return np.zeros(pop.n, bool)
    found = search.copy()
    found[search] = np.char.find(pop.e.query[search].astype(str), p["term"].lower()) >= 0
    return pop._count(found) > 0


def _at_risk(pop: Population, p: dict[str, Any]) -> np.ndarray:
    limit = np.maximum(p["factor"] * pop.median_interval, float(p["min_days"]))
    with np.errstate(invalid="ignore"):
        return np.nan_to_num(pop.days_since_last_order, nan=-1.0) > np.nan_to_num(limit, nan=np.inf)


def _score(pop: Population, p: dict[str, Any]) -> np.ndarray:
    from personalization_plugin.scores.model import active_models

    model = active_models().get(p["score"])
    if model is None:
        return np.zeros(pop.n, bool)
    return OPS[p["op"]](model.predict(from_events(pop.e, pop.now + 1e-6, pop.today)), p["value"])


def _false(pop: Population, p: dict[str, Any]) -> np.ndarray:
    return np.zeros(pop.n, bool)


BATCH: dict[str, Batch] = {
    "new_visitor": lambda pop, p: pop.first_day >= pop.today,
    "returning_visitor": lambda pop, p: pop.first_day < pop.today,
    "first_time_buyer": lambda pop, p: pop.order_count == 1,
    "repeat_buyer": lambda pop, p: pop.order_count >= 2,
    "loyal": lambda pop, p: pop.order_count >= p["min_orders"],
    "at_risk": _at_risk,
    "lapsed": lambda pop, p: np.nan_to_num(pop.days_since_last_order, nan=-1.0) >= p["days"],
    "rfm": _rfm,
    "top_spenders": _top_spenders,
    "spent_at_least": lambda pop, p: (pop.order_count > 0) & (pop.spend >= p["amount"]),
    "viewed_category": _category,
    "viewed_without_cart": lambda pop, p: pop.viewed_not_carted(
        p["min_views"], pop.now - p["days"] * DAY
    ),
    "abandoned_cart": _abandoned,
    "searched": _searched,
    "score": _score,
}


def evaluate_tree(tree: Any, pop: Population) -> np.ndarray:
    """Boolean membership per subject for a (valid) rule tree."""

    def walk(node: dict[str, Any], path: str) -> np.ndarray:
        if "rule" in node:
            _, kind, params = _leaf(path, node)
            return BATCH.get(kind.name, _false)(pop, params)
        if "not" in node:
            return ~walk(node["not"], f"{path}.not")
        parts = [
            walk(child, f"{path}[{i}]")
            for i, child in enumerate(node["all"] if "all" in node else node["any"])
        ]
        combine = np.logical_and if "all" in node else np.logical_or
        return combine.reduce(parts) if len(parts) > 1 else parts[0]

    if not isinstance(tree, dict):
        raise InvalidRuleTree("rules: expected an object.")
    return np.asarray(walk(tree, "rules"), dtype=bool)


assert set(BATCH) | {k for k, r in RULES.items() if r.needs_request} == set(RULES)
