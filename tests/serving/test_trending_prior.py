"""Serving's trending list: live distinct shoppers smoothed towards the model's trending.

Issue 13's story: one visitor's views (or one `curl`) must not put a product at the top of
"Trending now" above the items the store's shoppers actually favour, while thirty shoppers
viewing a product within a minute must.
"""

from __future__ import annotations

import random

import pytest

from personalization_plugin import track
from personalization_plugin.serving import recommend
from personalization_plugin.serving.trending import blend
from personalization_plugin.tracking.identity import Visitor

from .conftest import scored

pytestmark = pytest.mark.django_db


def ids(result) -> list[str]:
    return [item.product.id for item in result.items]


def view(shopper: str, product: str) -> None:
    track("view", visitor=Visitor(visitor_id=shopper), product_id=product)


def normal_traffic(rng: random.Random) -> None:
    """120 shoppers, 3 views each, over products 1..30 (most interest in the low ids)."""
    for shopper in range(120):
        for product in {min(30, int(rng.expovariate(1 / 8)) + 1) for _ in range(3)}:
            view(f"regular{shopper}", str(product))


@pytest.mark.parametrize("with_model", [False, True])
def test_one_visitors_views_stay_out_of_trending_while_thirty_shoppers_get_in(
    catalog, model, with_model, request
):
    catalog.fill(40)
    model.trending_items = scored(*range(1, 31)) if with_model else []
    normal_traffic(random.Random(3))
    for _ in range(3):
        view("one-visitor", "40")
    assert "40" not in ids(recommend("trending", limit=8))
    for shopper in range(30):
        view(f"newcomer{shopper}", "40")
    from personalization_plugin.serving import clear_caches

    clear_caches()  # the live board is reused for a second across requests
    assert "40" in ids(recommend("trending", limit=8))


def test_a_single_view_cannot_outrank_the_models_trending_items(catalog, model):
    catalog.fill(20)
    model.trending_items = scored(1, 2, 3, 4, 5, 6, 7, 8)
    for shopper in range(3):  # just enough support for item 20
        view(f"s{shopper}", "20")
    top = ids(recommend("trending", limit=8))
    assert top[:3] == ["1", "2", "3"] and "20" in top  # on the list, not above the favourites


def test_blend_is_live_only_without_a_prior() -> None:
    assert blend([("a", 3.0), ("b", 1.0)], [], 20.0) == [("a", 0.75, False), ("b", 0.25, False)]


def test_blend_moves_towards_the_prior_in_a_quiet_store() -> None:
    ranked = blend([("new", 3.0)], [("fav", 9.0), ("second", 1.0)], 20.0)
    assert [pid for pid, _, _ in ranked] == ["fav", "new", "second"]
    assert sum(score for _, score, _ in ranked) == pytest.approx(1.0)
