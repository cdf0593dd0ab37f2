"""Every algorithm keeps a user's recommendations inside their planted cluster."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from personalization_plugin.core.conf import DEFAULTS
from personalization_plugin.engine.algorithms import ALGORITHMS, make
from personalization_plugin.engine.interactions import build_interactions

from .conftest import planted_log

PARAMS = {
    "als": {"factors": 8, "iterations": 10, "regularization": 0.05},
    "bpr": {"factors": 8, "iterations": 200, "learning_rate": 0.05},
    "item_knn": {"k": 20},
    "bm25": {"k": 20},
    "ease": {"l2": 10.0},
}


@pytest.fixture(scope="module")
def planted():
    return build_interactions(planted_log(), DEFAULTS["EVENT_WEIGHTS"], None)


def cluster_of(data, items) -> set[str]:
    return {data.item_ids[i][0] for i in items if i >= 0}


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_a_known_user_gets_items_from_their_own_cluster(name, planted):
    model = make(name, **PARAMS[name]).fit(planted.matrix)
    user = list(planted.subject_ids).index("v:a0")
    ids, _ = model.recommend(np.array([user]), planted.matrix[user], n=2)
    assert cluster_of(planted, ids[0]) == {"A"}


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_an_unknown_user_is_served_from_their_context_row(name, planted):
    model = make(name, **PARAMS[name]).fit(planted.matrix)
    b_items = [i for i, pid in enumerate(planted.item_ids) if pid.startswith("B")][:2]
    context = sp.csr_matrix((np.ones(2, np.float32), ([0, 0], b_items)), shape=(1, planted.n_items))
    ids, _ = model.recommend(np.array([-1]), context, n=3)
    assert cluster_of(planted, ids[0]) == {"B"}


def test_recommend_never_returns_the_context_items(planted):
    model = make("item_knn", k=20).fit(planted.matrix)
    ids, _ = model.recommend(np.arange(planted.n_users), planted.matrix, n=5)
    for row, seen in enumerate(np.split(planted.matrix.indices, planted.matrix.indptr[1:-1])):
        assert not set(ids[row]) & set(seen)


def test_popularity_ranks_by_number_of_subjects():
    x = sp.csr_matrix(np.array([[1, 1, 0], [1, 0, 0], [1, 1, 1]], dtype=np.float32))
    model = make("popularity").fit(x)
    ids, scores = model.recommend(np.array([-1]), sp.csr_matrix((1, 3), dtype=np.float32), n=3)
    assert ids[0].tolist() == [0, 1, 2]
    assert scores[0].tolist() == [3.0, 2.0, 1.0]


def test_round_trip_through_arrays_keeps_scores(planted):
    for name in ("als", "item_knn"):
        model = make(name, **PARAMS[name]).fit(planted.matrix)
        again = ALGORITHMS[name].from_arrays(model.to_arrays(), model.params)
        users = np.arange(3)
        assert np.allclose(
            model.score(users, planted.matrix[:3]), again.score(users, planted.matrix[:3])
        )


def test_unknown_algorithm_names_the_known_ones():
    with pytest.raises(ValueError, match="als"):
        make("svd")


def test_ease_matches_the_closed_form():
    x = sp.random(40, 12, density=0.3, format="csr", random_state=1, dtype=np.float32)
    x.data[:] = 1.0
    model = make("ease", l2=5.0).fit(x)
    g = (x.T @ x).toarray().astype(np.float64) + 5.0 * np.eye(12)
    p = np.linalg.inv(g)
    b = -p / np.diag(p)[None, :]
    np.fill_diagonal(b, 0.0)
    assert np.allclose(model.dense, b, atol=1e-4)
