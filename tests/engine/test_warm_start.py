"""Incremental training: a new ALS/BPR model starts from the active model's factors.

Uses the planted two-cluster data of the other engine tests: users "a*" only touch
items "A*", users "b*" only items "B*".
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command

from personalization_plugin.adapters import ProductInfo
from personalization_plugin.engine import registry
from personalization_plugin.engine.algorithms import make
from personalization_plugin.engine.algorithms.factors import WarmStart, id_positions
from personalization_plugin.engine.artifacts import read_artifact
from personalization_plugin.engine.training import train

from .adapter import PRODUCTS, set_products
from .conftest import NOW, store_events

pytestmark = pytest.mark.django_db

# Small models keep these tests quick; `ease_max_items=0` makes the factor core carry
# the personal part of the blend, so the served lists depend on the warm-started core.
SMALL = {"factors": 16, "holdout": False, "ease_max_items": 0}


def new_events() -> list[dict]:
    """Two new shoppers per cluster and a new product "A8" viewed and bought in cluster A."""
    rows = []
    for cluster in ("a", "b"):
        for u in range(2):
            visitor = f"new-{cluster}{u}"
            items = [f"{cluster.upper()}{k}" for k in (1, 3, 5)]
            if cluster == "a":
                items.append("A8")
            for k, item in enumerate(items):
                rows.append(
                    {
                        "type": "purchase" if k == 0 else "view",
                        "visitor_id": visitor,
                        "product_id": item,
                        "session_id": f"s-{visitor}",
                        "order_id": f"o-{visitor}" if k == 0 else "",
                        "occurred_at": NOW + timedelta(minutes=k + 1),
                    }
                )
    return rows


def add_product_a8() -> None:
    products = list(PRODUCTS.values())
    products.append(
        ProductInfo(id="A8", title="A8", price=Decimal(20), category_ids=("cat-A",), created_at=NOW)
    )
    set_products(products)


def core_factors(mv) -> dict[str, np.ndarray]:
    arrays, _ = read_artifact(mv.path)
    return arrays


def in_cluster_share(model, n: int = 3) -> float:
    """Share of for_subject items inside each known shopper's own cluster."""
    hits = total = 0
    for subject in model.subject_ids.tolist():
        cluster = subject.split(":")[1].removeprefix("new-")[0].upper()
        items = [pid for pid, _ in model.for_subject(subject, n=n)]
        hits += sum(pid.startswith(cluster) for pid in items)
        total += len(items)
    return hits / total


def test_second_training_warm_starts_from_the_active_als_model(planted_db):
    first = train(**SMALL)
    store_events(new_events())
    second = train(**SMALL)
    assert not first.params["warm_start"]
    assert second.params["warm_start"] is True
    assert second.params["warm_start_from"] == first.version
    assert second.params["core_iterations"] == 5 < first.params["core_iterations"]


def test_warm_start_with_no_iterations_keeps_the_previous_factors_of_known_items(planted_db):
    first = train(**SMALL)
    add_product_a8()
    store_events(new_events())
    second = train(warm_start_iterations=0, **SMALL)
    old, new = core_factors(first), core_factors(second)
    rows = id_positions(old["item_ids"], new["item_ids"])
    known = rows >= 0
    assert known.sum() == 16
    np.testing.assert_array_equal(
        new["core_item_factors"][known], old["core_item_factors"][rows[known]]
    )
    users = id_positions(old["subject_ids"], new["subject_ids"])
    np.testing.assert_array_equal(
        new["core_user_factors"][users >= 0], old["core_user_factors"][users[users >= 0]]
    )


def test_new_products_and_shoppers_get_small_random_factors(planted_db):
    train(**SMALL)
    add_product_a8()
    store_events(new_events())
    second = train(warm_start_iterations=0, **SMALL)
    arrays = core_factors(second)
    a8 = arrays["core_item_factors"][arrays["item_ids"].tolist().index("A8")]
    assert np.abs(a8).max() > 0 and np.abs(a8).max() <= 0.01  # implicit's ALS init
    shopper = arrays["core_user_factors"][arrays["subject_ids"].tolist().index("v:new-a0")]
    assert np.abs(shopper).max() > 0 and np.abs(shopper).max() <= 0.01


def test_warm_started_model_after_new_events_recommends_as_well_as_a_cold_fit(planted_db):
    train(**SMALL)
    add_product_a8()
    store_events(new_events())
    warm = train(**SMALL)
    warm_share = in_cluster_share(registry.get_active_model())
    cold = train(full=True, **SMALL)
    cold_share = in_cluster_share(registry.get_active_model())
    assert warm.params["warm_start"] and not cold.params["warm_start"]
    assert cold_share == 1.0
    assert warm_share == cold_share


def test_warm_started_new_product_is_recommended_like_its_cluster(planted_db):
    train(**SMALL)
    add_product_a8()
    store_events(new_events())
    train(**SMALL)
    model = registry.get_active_model()
    a8 = model.item_pos["A8"]
    y = model.core.item_factors
    sims = (y @ y[a8]) / (np.linalg.norm(y, axis=1) * np.linalg.norm(y[a8]) + 1e-9)
    a_items = [model.item_pos[f"A{k}"] for k in range(8)]
    b_items = [model.item_pos[f"B{k}"] for k in range(8)]
    assert sims[a_items].mean() > sims[b_items].mean()


def test_warm_start_converges_in_fewer_iterations_than_a_cold_fit(planted_db):
    """On the same matrix, 2 warm iterations from a converged model reach the cold
    15-iteration loss; 2 cold iterations from random factors do not."""
    from implicit.cpu._als import calculate_loss

    from personalization_plugin.core.conf import DEFAULTS
    from personalization_plugin.engine.interactions import build_interactions

    from .conftest import planted_log

    data = build_interactions(planted_log(), DEFAULTS["EVENT_WEIGHTS"], None)
    params = {"factors": 16, "regularization": 0.05}

    def loss(model) -> float:
        return calculate_loss(
            data.matrix.astype(np.float32), model.user_factors, model.item_factors, 0.05, 1
        )

    cold = make("als", iterations=15, **params).fit(data.matrix)
    short = make("als", iterations=2, **params).fit(data.matrix)
    warm = make("als", iterations=2, **params)
    warm.warm_start = WarmStart.align(
        {
            "core_user_factors": cold.user_factors,
            "core_item_factors": cold.item_factors,
            "subject_ids": data.subject_ids,
            "item_ids": data.item_ids,
        },
        data.subject_ids,
        data.item_ids,
    )
    warm.fit(data.matrix)
    assert loss(warm) <= loss(cold) * 1.01
    assert loss(short) > loss(warm)


def test_bpr_warm_starts_from_an_active_bpr_model(planted_db):
    first = train(algorithm="bpr", **SMALL)
    second = train(algorithm="bpr", **SMALL)
    assert second.params["warm_start_from"] == first.version
    assert second.params["core_iterations"] < first.params["core_iterations"]
    assert in_cluster_share(registry.get_active_model()) == 1.0


def test_a_different_factor_count_falls_back_to_a_cold_fit(planted_db):
    train(**SMALL)
    second = train(**{**SMALL, "factors": 8})
    assert second.params["warm_start"] is False
    assert second.params["core_iterations"] == 15


def test_a_different_algorithm_falls_back_to_a_cold_fit(planted_db):
    train(**SMALL)
    second = train(algorithm="bpr", **SMALL)
    assert second.params["warm_start"] is False


def test_full_forces_a_cold_fit(planted_db):
    train(**SMALL)
    assert train(full=True, **SMALL).params["warm_start"] is False


def test_train_command_full_flag_forces_a_cold_fit(planted_db):
    train()
    out = StringIO()
    call_command("personalization_train", "--no-progress", "--no-holdout", stdout=out)
    assert "warm start from" in out.getvalue()
    out = StringIO()
    call_command("personalization_train", "--no-progress", "--no-holdout", "--full", stdout=out)
    assert "warm start" not in out.getvalue()


def test_id_positions_maps_new_ids_to_old_rows_and_unknown_to_minus_one():
    old = np.array(["b", "a", "c"])
    new = np.array(["a", "d", "c", "b"])
    assert id_positions(old, new).tolist() == [1, -1, 2, 0]
