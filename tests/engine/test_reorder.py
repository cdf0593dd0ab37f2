"""Reorder intervals and the "due" ranking behind buy-again (engine.reorder)."""

from __future__ import annotations

from personalization_plugin.engine.reorder import (
    MIN_DUE,
    CatalogIntervals,
    gaps,
    interval_for,
    rank_due,
    timing,
)

DAY = 86_400.0


def test_purchases_within_an_hour_are_one_trip_not_a_reorder():
    assert gaps([0.0, 60.0, 10 * DAY, 10 * DAY + 30]) == [10 * DAY]


def test_the_catalog_interval_is_the_median_gap_of_repeat_buyers_only():
    rows = [("a", "x", 0.0), ("a", "x", 10 * DAY), ("b", "x", 0.0), ("b", "x", 30 * DAY)]
    rows += [("b", "x", 50 * DAY), ("c", "x", 5 * DAY), ("d", "y", 0.0)]  # one-timers: no gap
    found = CatalogIntervals.from_purchases(rows)
    assert found.by_item == {"x": 20 * DAY}


def test_the_catalog_interval_needs_enough_repeat_gaps_to_be_trusted():
    few = [("a", "x", 0.0), ("a", "x", 10 * DAY), ("a", "x", 20 * DAY)]
    assert CatalogIntervals.from_purchases(few) == CatalogIntervals({}, None)
    many = [(f"p{n}", f"i{n % 7}", k * 9 * DAY) for n in range(14) for k in range(3)]
    found = CatalogIntervals.from_purchases(many)
    assert found.overall == 9 * DAY and set(found.by_item) == {f"i{n}" for n in range(7)}


def test_the_interval_comes_from_the_most_specific_source_known():
    own = {"x": [0.0, 7 * DAY], "y": [3 * DAY], "z": [0.0]}
    groups = {"x": "coffee", "y": "coffee", "z": "tea"}
    shop = CatalogIntervals(by_item={"z": 30 * DAY, "w": 9 * DAY}, overall=40 * DAY)
    assert interval_for("x", "coffee", own, groups, shop) == (7 * DAY, "own_item")
    assert interval_for("y", "coffee", own, groups, shop) == (3.5 * DAY, "own_category")
    assert interval_for("z", "tea", own, groups, shop) == (30 * DAY, "catalog_item")
    assert interval_for("q", "", {"q": [0.0]}, {}, shop) == (40 * DAY, "catalog")
    assert interval_for("q", "", {"q": [0.0]}, {}, CatalogIntervals()) == (None, "none")


def test_timing_is_zero_before_min_due_highest_when_due_and_fades_when_overdue():
    assert timing(0.4 * DAY, DAY) == 0.0 and timing(MIN_DUE * DAY, DAY) > 0
    assert timing(DAY, DAY) == 1.0
    assert 1.0 > timing(2 * DAY, DAY) > timing(5 * DAY, DAY) > timing(20 * DAY, DAY) > 0


def test_rank_due_puts_due_products_first_hides_fresh_ones_and_keeps_untimed_last():
    now = 100 * DAY
    own = {
        "due": [now - 20 * DAY, now - 10 * DAY],  # every 10 days, due now
        "lapsed": [now - 90 * DAY, now - 80 * DAY],  # due 70 days ago
        "fresh": [now - 20 * DAY, now - 2 * DAY],  # every 18 days, bought 2 days ago
        "once": [now - 3 * DAY],
    }
    ranked = rank_due(own, now, CatalogIntervals())
    assert [d.item for d in ranked] == ["due", "lapsed", "once"]
    assert ranked[-1].source == "none" and ranked[0].due_at == now
