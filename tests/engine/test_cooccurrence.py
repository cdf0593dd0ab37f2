from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from personalization_plugin.core.conf import DEFAULTS
from personalization_plugin.engine.cooccurrence import (
    basket_matrix,
    bought_together,
    followed_by,
    lift_matrix,
    top_k_rows,
    viewed_together,
)
from personalization_plugin.engine.interactions import EventLog, build_interactions


def orders_log(orders: list[list[str]]) -> EventLog:
    subject, item, order = [], [], []
    for k, lines in enumerate(orders):
        for pid in lines:
            subject.append(f"v:{k}")
            item.append(pid)
            order.append(f"o{k}")
    return EventLog.from_columns(
        subject=subject,
        item=item,
        type=["purchase"] * len(item),
        timestamp=[0.0] * len(item),
        order=order,
    )


def row(data, matrix, pid: str) -> dict[str, float]:
    i = list(data.item_ids).index(pid)
    lo, hi = matrix.indptr[i], matrix.indptr[i + 1]
    return {
        str(data.item_ids[j]): float(v)
        for j, v in zip(matrix.indices[lo:hi], matrix.data[lo:hi], strict=True)
    }


def test_lift_ranks_a_niche_co_purchase_above_a_bestseller():
    # "bread" is in every order; "tent" and "pegs" are rare but always bought together
    orders = (
        [["bread", "milk"] for _ in range(40)]
        + [["bread", "tent", "pegs"] for _ in range(3)]
        + [["bread", "tent"]]
    )
    data = build_interactions(orders_log(orders), DEFAULTS["EVENT_WEIGHTS"], None)
    scores = row(data, bought_together(data), "tent")
    assert list(scores)[0] == "pegs"
    assert scores["pegs"] > scores["bread"]


def test_shrunk_lift_matches_the_formula():
    baskets = sp.csr_matrix(
        np.array([[1, 1, 0], [1, 0, 1], [1, 1, 0], [0, 0, 1]], dtype=np.float32)
    )
    lift = lift_matrix(baskets, shrink=1.0).toarray()
    # items 0 and 1: together in 2 baskets, n0 = 3, n1 = 2, N = 4 -> E = 1.5
    assert lift[0, 1] == pytest.approx((2 + 1) / (1.5 + 1))
    assert lift[1, 2] == 0.0  # never together: absent
    assert lift[0, 0] == 0.0


def test_one_accidental_pair_of_rare_items_stays_modest():
    orders = [["a", "b"]] + [["x", "y"] for _ in range(50)] + [["x", "z"] for _ in range(50)]
    data = build_interactions(orders_log(orders), DEFAULTS["EVENT_WEIGHTS"], None)
    assert row(data, bought_together(data), "a")["b"] < 2.0


def test_orders_without_id_fall_back_to_same_customer_within_a_day():
    log = EventLog.from_columns(
        subject=["v:1", "v:1", "v:1"],
        item=["a", "b", "c"],
        type=["purchase"] * 3,
        timestamp=[0.0, 3600.0, 3 * 86400.0],
    )
    data = build_interactions(log, DEFAULTS["EVENT_WEIGHTS"], None)
    together = row(data, bought_together(data), "a")
    assert "b" in together and "c" not in together


def test_viewed_together_uses_sessions():
    log = EventLog.from_columns(
        subject=["v:1", "v:1", "v:2", "v:2"],
        item=["a", "b", "a", "c"],
        type=["view"] * 4,
        timestamp=[0.0, 1.0, 2.0, 3.0],
        session=["s1", "s1", "s2", "s3"],
    )
    data = build_interactions(log, DEFAULTS["EVENT_WEIGHTS"], None)
    assert set(row(data, viewed_together(data), "a")) == {"b"}


def test_followed_by_counts_what_comes_next_in_a_session():
    log = EventLog.from_columns(
        subject=["v:1"] * 3,
        item=["a", "b", "c"],
        type=["view"] * 3,
        timestamp=[0.0, 1.0, 2.0],
        session=["s"] * 3,
    )
    data = build_interactions(log, DEFAULTS["EVENT_WEIGHTS"], None)
    nxt = row(data, followed_by(data), "a")
    assert nxt == {"b": 1.0, "c": 0.5}
    assert row(data, followed_by(data), "c") == {}


def test_oversized_baskets_are_ignored():
    m = basket_matrix(np.array([0] * 5 + [1, 1]), np.array([0, 1, 2, 3, 4, 0, 1]), 5, max_size=4)
    assert m.shape[0] == 1


def test_top_k_rows_keeps_the_best_in_order():
    m = sp.csr_matrix(np.array([[0, 3, 1, 2], [5, 0, 0, 0]], dtype=np.float32))
    top = top_k_rows(m, 2)
    assert top.indices[top.indptr[0] : top.indptr[1]].tolist() == [1, 3]
    assert top.indices[top.indptr[1] : top.indptr[2]].tolist() == [0]
