from __future__ import annotations

import math

import numpy as np
import pytest

from personalization_plugin.engine.interactions import (
    EventLog,
    build_interactions,
    deduplicate,
    event_weights,
    fast_unique,
    load_events,
)

from .conftest import NOW, store_events

WEIGHTS = {"view": 1.0, "cart_add": 4.0, "cart_remove": -2.0, "purchase": 10.0}
DAY = 86400.0


def log_of(*events: tuple, event_ids: list[str] | None = None) -> EventLog:
    """events: (subject, item, type, timestamp[, session])."""
    return EventLog.from_columns(
        subject=[e[0] for e in events],
        item=[e[1] for e in events],
        type=[e[2] for e in events],
        timestamp=[e[3] for e in events],
        session=[e[4] if len(e) > 4 else "" for e in events],
        event_id=event_ids,
    )


def cell(data, subject: str, item: str) -> float:
    u = list(data.subject_ids).index(subject)
    i = list(data.item_ids).index(item)
    return float(data.matrix[u, i])


def test_weights_are_summed_per_pair_then_saturated_with_log1p():
    data = build_interactions(
        log_of(("v:1", "p", "view", 0), ("v:1", "p", "purchase", 0)), WEIGHTS, None
    )
    assert cell(data, "v:1", "p") == pytest.approx(math.log1p(11.0))


def test_repeated_views_saturate():
    twenty = build_interactions(log_of(*[("v:1", "p", "view", 0)] * 20), WEIGHTS, None)
    one_purchase = build_interactions(log_of(("v:1", "p", "purchase", 0)), WEIGHTS, None)
    assert cell(twenty, "v:1", "p") == pytest.approx(math.log1p(20.0))
    assert cell(twenty, "v:1", "p") < 1.3 * cell(one_purchase, "v:1", "p")


def test_time_decay_halves_weight_every_half_life():
    log = log_of(("v:1", "p", "purchase", 0.0))
    w = event_weights(log, WEIGHTS, half_life_days=30.0, now=60 * DAY)
    assert w[0] == pytest.approx(2.5)
    data = build_interactions(log, WEIGHTS, 30.0, now=30 * DAY)
    assert cell(data, "v:1", "p") == pytest.approx(math.log1p(5.0))


def test_events_with_the_same_event_id_count_once():
    log = log_of(
        ("v:1", "p", "purchase", 0),
        ("v:1", "p", "purchase", 0),
        ("v:1", "p", "view", 0),
        event_ids=["e1", "e1", ""],
    )
    assert len(deduplicate(log)) == 2
    assert cell(build_interactions(log, WEIGHTS, None), "v:1", "p") == pytest.approx(
        math.log1p(11.0)
    )


def test_cart_removal_can_cancel_a_pair():
    data = build_interactions(
        log_of(("v:1", "p", "cart_remove", 0), ("v:1", "q", "view", 0)), WEIGHTS, None
    )
    assert cell(data, "v:1", "p") == 0.0
    assert data.matrix.nnz == 1


def test_event_types_without_a_weight_are_ignored():
    data = build_interactions(
        log_of(("v:1", "p", "impression", 0), ("v:1", "q", "view", 0)), WEIGHTS, None
    )
    assert list(data.item_ids) == ["q"]


def test_sensitive_products_are_never_learned():
    log = log_of(("v:1", "pills", "purchase", 0), ("v:1", "chair", "view", 0))
    data = build_interactions(
        log, WEIGHTS, None, exclude_items={"pills"}, extra_items=["pills", "lamp"]
    )
    assert "pills" not in data.item_ids
    assert list(data.item_ids) == ["chair", "lamp"]


def test_catalog_items_without_events_get_empty_columns():
    data = build_interactions(log_of(("v:1", "a", "view", 0)), WEIGHTS, None, extra_items=["b"])
    assert data.matrix.shape == (1, 2)
    assert data.matrix[:, 1].nnz == 0


def test_sessions_group_events_and_fall_back_to_subject_time_windows():
    log = log_of(
        ("v:1", "a", "view", 0, "s1"),
        ("v:2", "b", "view", 5000, "s1"),
        ("v:3", "c", "view", 0),
        ("v:3", "d", "view", 60),
        ("v:3", "e", "view", 4 * 3600),
    )
    keys = build_interactions(log, WEIGHTS, None).session_key
    assert keys[0] == keys[1]
    assert keys[2] == keys[3] != keys[4]
    assert keys[2] != keys[0]


def test_fast_unique_matches_numpy_unique():
    values = np.array(["b", "a", "b", "", "ccc", "a", "é"])
    uniq, inverse = fast_unique(values)
    expected, expected_inverse = np.unique(values, return_inverse=True)
    assert list(uniq) == list(expected)
    assert list(inverse) == list(expected_inverse)


@pytest.mark.django_db
def test_events_are_read_from_the_database_with_customer_and_visitor_subjects():
    store_events(
        [
            {"type": "view", "visitor_id": "vis1", "product_id": "p1", "occurred_at": NOW},
            {
                "type": "purchase",
                "visitor_id": "vis2",
                "customer_id": "42",
                "product_id": "p2",
                "order_id": "o1",
                "occurred_at": NOW,
            },
            {"type": "search", "visitor_id": "vis1", "query": "chairs", "occurred_at": NOW},
        ]
    )
    log = load_events(chunk_size=1)
    assert sorted(zip(log.subject.tolist(), log.item.tolist(), strict=True)) == [
        ("c:42", "p2"),
        ("v:vis1", "p1"),
    ]
    assert set(log.order.tolist()) == {"", "o1"}
    assert log.timestamp[0] == pytest.approx(NOW.timestamp())
