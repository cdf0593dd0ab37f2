from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from personalization_plugin.core.conf import DEFAULTS
from personalization_plugin.engine.builder import BuildParams
from personalization_plugin.engine.evaluation import (
    Split,
    build_cases,
    compare,
    intra_list_diversity,
    ranking_metrics,
    time_split,
)
from personalization_plugin.engine.interactions import EventLog

from .conftest import planted_log

WEIGHTS = DEFAULTS["EVENT_WEIGHTS"]


def log_of(rows: list[tuple[str, str, float]]) -> EventLog:
    return EventLog.from_columns(
        subject=[r[0] for r in rows],
        item=[r[1] for r in rows],
        type=["view"] * len(rows),
        timestamp=[r[2] for r in rows],
    )


def test_metrics_match_hand_computed_values():
    recs = np.array([[1, 2, 3], [4, 0, 1]])
    targets = sp.csr_matrix((np.ones(3), ([0, 0, 1], [2, 5, 4])), shape=(2, 6))
    m = ranking_metrics(recs, targets, k=3)
    ndcg_first = (1 / np.log2(3)) / (1 + 1 / np.log2(3))
    assert m["precision@3"] == pytest.approx(1 / 3)
    assert m["recall@3"] == pytest.approx((1 / 2 + 1) / 2)
    assert m["ndcg@3"] == pytest.approx((ndcg_first + 1) / 2)
    assert m["map@3"] == pytest.approx((0.5 / 2 + 1) / 2)
    assert m["hit_rate@3"] == 1.0
    assert m["coverage"] == pytest.approx(5 / 6)


def test_padding_in_short_lists_is_never_a_hit():
    targets = sp.csr_matrix((np.ones(1), ([0], [0])), shape=(1, 3))
    assert ranking_metrics(np.array([[-1, -1]]), targets, k=2)["hit_rate@2"] == 0.0


def test_diversity_by_category_and_by_vectors():
    recs = np.array([[0, 1, 2]])
    assert intra_list_diversity(recs, np.array([0, 0, 1]), None) == pytest.approx(2 / 3)
    same = np.ones((3, 2), np.float32)
    assert intra_list_diversity(recs, None, same) == pytest.approx(0.0, abs=1e-6)
    assert intra_list_diversity(recs, None, None) is None


def test_time_split_holds_out_the_newest_events():
    log = log_of([("v:1", "a", float(t)) for t in range(10)])
    split = time_split(log, 0.2)
    assert split.train.timestamp.max() < split.test.timestamp.min()
    assert len(split.test) == 2


def test_cases_for_known_subjects_and_for_new_sessions():
    train = log_of([("v:1", "a", 0), ("v:1", "b", 1), ("v:2", "c", 2), ("v:2", "a", 3)])
    test = log_of(
        [
            ("v:1", "c", 10),  # known subject, new item: a target
            ("v:1", "a", 11),  # already seen: not a target
            ("v:3", "a", 12),  # new subject: first half revealed...
            ("v:3", "b", 13),
            ("v:3", "c", 14),
            ("v:3", "z", 15),  # item unknown to training: ignored
            ("v:4", "b", 16),  # a single item: nothing left to predict
        ]
    )
    cases = build_cases(Split(train, test), WEIGHTS, None)
    items = list(cases.data.item_ids)
    assert len(cases) == 2
    assert cases.users.tolist() == [0, -1]
    assert [items[i] for i in cases.targets[0].indices] == ["c"]
    assert sorted(items[i] for i in cases.targets[1].indices) == ["b", "c"]
    assert [items[i] for i in cases.recent[1].indices] == ["a"]
    assert cases.history[1].nnz == 0


def test_compare_reports_the_default_and_every_baseline():
    split = time_split(planted_log(), 0.2)
    cases = build_cases(split, WEIGHTS, None)
    results = compare(cases, BuildParams(factors=8, iterations=5, neighbours=10))
    assert set(results) == {"default", "popularity", "item_knn", "als_defaults", "ease"}
    assert all(0.0 <= r["ndcg@10"] <= 1.0 for r in results.values())
    assert results["default"]["ndcg@10"] > results["popularity"]["ndcg@10"]
