"""Serving on a model trained by the real engine from tracked events (no hand model)."""

from __future__ import annotations

import random

import pytest

from personalization_plugin import track
from personalization_plugin.engine import registry
from personalization_plugin.engine.training import train
from personalization_plugin.serving import recommend
from personalization_plugin.tracking.api import track_order
from personalization_plugin.tracking.backends import get_backend
from personalization_plugin.tracking.identity import Visitor

CATEGORIES = ("chairs", "tables", "lamps")


@pytest.fixture
def trained(catalog, personalization, tmp_path):
    """30 products in 3 categories; shoppers stay in one category; 1 and 4 sell together."""
    personalization(MODEL_DIR=str(tmp_path), FACTORS=8, ITERATIONS=5)
    registry.reset()
    catalog.fill(30, CATEGORIES)  # product k is in CATEGORIES[(k - 1) % 3]
    for shopper in range(36):
        visitor = Visitor(visitor_id=f"shopper{shopper}", consent="granted")
        home = shopper % 3
        for pid in random.Random(shopper).sample(range(home + 1, 31, 3), 6):
            track("view", visitor=visitor, product_id=str(pid))
        if home == 0:
            track_order(
                visitor=visitor,
                order_id=f"order{shopper}",
                lines=[{"product_id": "1", "quantity": 1}, {"product_id": "4", "quantity": 1}],
            )
    get_backend().flush()
    version = train()
    yield version
    registry.reset()


@pytest.mark.django_db
def test_for_you_is_served_by_the_trained_model(trained):
    shopper = Visitor(visitor_id="shopper1", consent="granted")  # a table shopper
    result = recommend("for_you", visitor=shopper, limit=6)
    assert result.model_version == trained.version
    assert len(result.items) == 6
    top = result.items[0]
    assert top.reason_code == "viewed"
    assert "tables" in top.product.category_ids


@pytest.mark.django_db
def test_bought_together_comes_from_real_orders(trained):
    result = recommend("bought_together", product_id="1", limit=4)
    assert result.items[0].product.id == "4"
    assert result.items[0].reason == "Often bought with Product 1"


@pytest.mark.django_db
def test_a_new_visitor_is_served_from_session_items(trained):
    newcomer = Visitor(visitor_id="newcomer", consent="granted")
    track("view", visitor=newcomer, product_id="3")  # a lamp
    result = recommend("for_you", visitor=newcomer, limit=4)
    assert result.model_version == trained.version
    assert "lamps" in result.items[0].product.category_ids
    assert "3" not in [item.product.id for item in result.items]
