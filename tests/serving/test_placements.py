"""recommend(): every placement fills its list through each stage of its fallback chain."""

from __future__ import annotations

import pytest

from personalization_plugin import track
from personalization_plugin.core.exceptions import InvalidRecommendationRequest, UnknownPlacement
from personalization_plugin.serving import PLACEMENTS, UnknownProduct, recommend
from personalization_plugin.tracking.identity import Visitor

from .conftest import product, scored

ARGS = {
    "for_you": {},
    "similar": {"product_id": "1"},
    "bought_together": {"product_id": "1"},
    "cart": {"cart": ["1", "2"]},
    "trending": {},
    "category_top": {"category_id": "chairs"},
}
FILLED = list(ARGS)


def ids(result) -> list[str]:
    return [item.product.id for item in result.items]


@pytest.mark.django_db
@pytest.mark.parametrize("placement", FILLED)
def test_full_list_with_no_model_and_no_events(placement, catalog, no_model, alice):
    catalog.fill(30, ["chairs", "tables", "lamps"])
    result = recommend(placement, visitor=alice, limit=8, **ARGS[placement])
    assert len(result.items) == 8
    assert result.model_version == ""


@pytest.mark.django_db
@pytest.mark.parametrize("placement", FILLED)
def test_full_list_for_new_visitor_with_a_model(placement, catalog, model):
    catalog.fill(30, ["chairs", "tables", "lamps"])
    model.popular_items = scored(*range(30, 20, -1))
    from personalization_plugin.tracking.identity import Visitor

    result = recommend(
        placement, visitor=Visitor(visitor_id="newcomer"), limit=8, **ARGS[placement]
    )
    assert len(result.items) == 8


@pytest.mark.django_db
@pytest.mark.parametrize("placement", FILLED)
def test_full_list_when_the_model_knows_only_a_few_items(placement, catalog, model, alice):
    catalog.fill(30, ["chairs", "tables", "lamps"])
    model.personal = {alice.subject: scored(5, 6)}
    model.similar_to = {"1": scored(7)}
    model.bought_with = {"1": scored(8)}
    result = recommend(placement, visitor=alice, limit=8, **ARGS[placement])
    assert len(result.items) == 8
    assert len(set(ids(result))) == 8


@pytest.mark.django_db
@pytest.mark.parametrize("placement", FILLED)
def test_full_list_when_redis_is_down(placement, catalog, model, alice, personalization):
    personalization(REDIS_URL="redis://127.0.0.1:1/0")
    catalog.fill(30, ["chairs", "tables", "lamps"])
    model.personal = {alice.subject: scored(3, 4, 5)}
    result = recommend(placement, visitor=alice, limit=8, **ARGS[placement])
    assert len(result.items) == 8


@pytest.mark.django_db
@pytest.mark.parametrize("placement", FILLED)
def test_list_is_short_only_when_the_catalog_is(placement, catalog, no_model, alice):
    catalog.fill(5)
    result = recommend(placement, visitor=alice, limit=8, **ARGS[placement])
    excluded = {"1"} if placement in ("similar", "bought_together") else set()
    excluded |= {"1", "2"} if placement == "cart" else set()
    assert sorted(ids(result)) == sorted(set(["1", "2", "3", "4", "5"]) - excluded)


@pytest.mark.django_db
@pytest.mark.parametrize("placement", FILLED)
def test_items_never_repeat(placement, catalog, model, alice):
    catalog.fill(40, ["chairs", "tables"])
    model.personal = {alice.subject: scored(3, 3, 4, 4, 5)}
    model.popular_items = scored(3, 4, 5, 6, 7, 8)
    model.similar_to = {"1": scored(3, 4, 3)}
    result = recommend(placement, visitor=alice, limit=12, **ARGS[placement])
    assert len(ids(result)) == len(set(ids(result))) == 12


@pytest.mark.django_db
def test_positions_run_from_one(catalog, no_model):
    catalog.fill(10)
    result = recommend("trending", limit=5)
    assert [item.position for item in result.items] == [1, 2, 3, 4, 5]


@pytest.mark.django_db
def test_every_list_has_its_own_recommendation_id(catalog, no_model):
    catalog.fill(10)
    first, second = recommend("trending"), recommend("trending")
    assert len(first.recommendation_id) == 32
    assert first.recommendation_id != second.recommendation_id


@pytest.mark.django_db
def test_for_you_follows_the_model_for_a_known_shopper(catalog, model, alice):
    catalog.fill(20)
    model.personal = {alice.subject: scored(9, 4, 7)}
    result = recommend("for_you", visitor=alice, limit=3)
    assert ids(result)[:3] == ["9", "4", "7"]
    assert result.model_version == "hand-1"


@pytest.mark.django_db
def test_for_you_folds_in_recent_items_from_real_time_state(catalog, model, alice):
    catalog.fill(20)
    model.similar_to = {"3": scored(11, 12)}
    track("view", visitor=alice, product_id="3")
    result = recommend("for_you", visitor=alice, limit=4)
    assert ids(result)[:2] == ["11", "12"]
    assert model.calls[-1] == f"for_subject:{alice.subject}:3"


@pytest.mark.django_db
def test_for_you_changes_right_after_a_new_event(catalog, model, alice):
    catalog.fill(20)
    model.personal = {alice.subject: scored(5, 6)}
    model.similar_to = {"9": scored(15, 16)}
    before = recommend("for_you", visitor=alice, limit=2)
    track("view", visitor=alice, product_id="9")
    after = recommend("for_you", visitor=alice, limit=2)
    assert ids(before) == ["5", "6"]
    assert ids(after) == ["15", "16"]


@pytest.mark.django_db
def test_similar_uses_the_model_neighbours_first(catalog, model):
    catalog.fill(20)
    model.similar_to = {"1": scored(8, 2, 5)}
    result = recommend("similar", product_id="1", limit=3)
    assert ids(result) == ["8", "2", "5"]
    assert {item.reason_code for item in result.items} == {"similar"}


@pytest.mark.django_db
def test_similar_for_a_new_product_falls_back_to_its_category(catalog, model):
    catalog.fill(12, ["chairs", "tables"])
    catalog.add(product("new", "tables"))
    model.popular_items = scored(1, 3, 2, 4, 6)
    result = recommend("similar", product_id="new", limit=3)
    assert ids(result)[:2] == ["2", "4"]  # the popular tables, before anything else


@pytest.mark.django_db
def test_bought_together_uses_order_co_occurrence(catalog, model):
    catalog.fill(20)
    model.bought_with = {"1": scored(14, 3)}
    result = recommend("bought_together", product_id="1", limit=2)
    assert ids(result) == ["14", "3"]
    assert {item.reason_code for item in result.items} == {"bought_with"}


@pytest.mark.django_db
def test_cart_completion_uses_everything_in_the_cart(catalog, model):
    catalog.fill(20)
    model.bought_with = {"1": scored(7), "2": scored(9)}
    result = recommend("cart", cart=["1", "2"], limit=2)
    assert set(ids(result)) == {"7", "9"}


@pytest.mark.django_db
def test_cart_items_are_never_suggested(catalog, model, alice):
    catalog.fill(20)
    model.bought_with = {"1": scored(2, 3, 4)}
    model.personal = {alice.subject: scored(1, 2, 3)}
    model.popular_items = scored(1, 2, 3, 4, 5)
    for placement in FILLED:
        result = recommend(
            placement,
            visitor=alice,
            cart=["1", "2", "3"],
            limit=8,
            **{k: v for k, v in ARGS[placement].items() if k != "cart"},
        )
        assert not {"1", "2", "3"} & set(ids(result)) or placement in ("similar", "bought_together")
        assert not {"2", "3"} & set(ids(result))


@pytest.mark.django_db
def test_the_real_time_cart_is_excluded_too(catalog, model, alice):
    catalog.fill(20)
    model.popular_items = scored(4, 5, 6)
    track("cart_add", visitor=alice, product_id="4")
    result = recommend("for_you", visitor=alice, limit=8)
    assert "4" not in ids(result)


@pytest.mark.django_db
def test_trending_comes_from_real_time_events(catalog, no_model, alice):
    catalog.fill(20)
    for shopper in range(4):  # trending counts distinct shoppers (at least 3 by default)
        track("view", visitor=Visitor(visitor_id=f"s{shopper}"), product_id="17")
    for shopper in range(3):
        track("view", visitor=Visitor(visitor_id=f"s{shopper}"), product_id="12")
    result = recommend("trending", limit=4)
    assert ids(result)[:2] == ["17", "12"]
    assert result.items[0].reason_code == "trending"


@pytest.mark.django_db
def test_trending_per_category(catalog, no_model, alice):
    catalog.fill(20, ["chairs", "tables"])
    for shopper in range(3):
        track("view", visitor=Visitor(visitor_id=f"s{shopper}"), product_id="1")  # a chair
        track("view", visitor=Visitor(visitor_id=f"s{shopper}"), product_id="2")  # a table
    result = recommend("trending", category_id="tables", limit=4)
    assert ids(result)[0] == "2"
    assert all("tables" in item.product.category_ids for item in result.items)


@pytest.mark.django_db
def test_category_top_stays_in_its_category(catalog, model):
    catalog.fill(30, ["chairs", "tables", "lamps"])
    model.popular_items = scored(3, 1, 6)
    result = recommend("category_top", category_id="lamps", limit=5)
    assert ids(result)[:2] == ["3", "6"]
    assert all("lamps" in item.product.category_ids for item in result.items)


@pytest.mark.django_db
def test_recently_viewed_shows_only_what_was_viewed(catalog, no_model, alice):
    catalog.fill(20)
    track("view", visitor=alice, product_id="5")
    track("view", visitor=alice, product_id="8")
    result = recommend("recently_viewed", visitor=alice, limit=8)
    assert ids(result) == ["8", "5"]
    assert {item.reason for item in result.items} == {"In your recently viewed"}


@pytest.mark.django_db
def test_recently_viewed_is_empty_without_a_visitor(catalog, no_model):
    catalog.fill(5)
    assert recommend("recently_viewed").items == []


@pytest.mark.django_db
def test_unknown_placement_names_the_valid_ones(catalog):
    with pytest.raises(UnknownPlacement, match="Unknown placement 'home'.*for_you"):
        recommend("home")


@pytest.mark.django_db
def test_unknown_product_is_a_clear_error(catalog, no_model):
    catalog.fill(3)
    with pytest.raises(UnknownProduct, match="'999' is not in the catalog"):
        recommend("similar", product_id="999")


@pytest.mark.django_db
def test_similar_without_a_product_says_what_to_pass(catalog):
    with pytest.raises(InvalidRecommendationRequest, match="needs product_id"):
        recommend("similar")


@pytest.mark.django_db
def test_category_top_without_a_category_says_what_to_pass(catalog):
    with pytest.raises(InvalidRecommendationRequest, match="needs category_id"):
        recommend("category_top")


@pytest.mark.parametrize("limit", [0, -1, 101, "8", 2.5])
def test_bad_limit_is_rejected(limit, catalog):
    with pytest.raises(InvalidRecommendationRequest, match="limit must be"):
        recommend("trending", limit=limit)


def test_placements_are_the_documented_ones():
    assert PLACEMENTS == (
        "for_you",
        "similar",
        "bought_together",
        "cart",
        "trending",
        "recently_viewed",
        "category_top",
        "viewed_together",
        "post_purchase",
        "buy_again",
        "new_arrivals",
    )


@pytest.mark.django_db
def test_a_failing_model_method_falls_back(catalog, model, alice):
    catalog.fill(10)

    def broken(*args, **kwargs):
        raise RuntimeError("corrupt factors")

    model.for_subject = broken  # type: ignore[method-assign]
    model.personal = {alice.subject: scored(1)}
    result = recommend("for_you", visitor=alice, limit=8)
    assert len(result.items) == 8


@pytest.mark.django_db
def test_a_sold_out_category_does_not_rescan_the_catalog_per_request(catalog, no_model):
    from .adapter import TestAdapter

    catalog.fill(20, ["chairs"])
    catalog.add(product("lamp", "lamps", in_stock=False))
    assert recommend("category_top", category_id="lamps").items == []
    assert recommend("category_top", category_id="lamps").items == []
    assert TestAdapter.scans == 1


@pytest.mark.django_db
def test_empty_store_fallback_reads_the_catalog_once_not_per_request(catalog, no_model):
    from .adapter import TestAdapter

    catalog.fill(2000)
    result = recommend("trending", limit=8)
    assert ids(result) == [str(k) for k in range(1, 9)]
    clear_caches_but_the_catalog()
    assert ids(recommend("trending", limit=8, exclude=["1", "2"])) == [str(k) for k in range(3, 11)]
    assert (TestAdapter.scans, TestAdapter.batches) == (1, 1)


@pytest.mark.django_db
def test_a_product_sold_out_after_the_first_request_leaves_the_fallback(catalog, no_model):
    from personalization_plugin.serving import catalog as serving_catalog

    catalog.fill(20)
    assert "1" in ids(recommend("trending", limit=8))
    catalog.add(product("1", in_stock=False))
    serving_catalog._products.clear()  # PRODUCT_TTL has passed
    clear_caches_but_the_catalog()
    listed = ids(recommend("trending", limit=8))
    assert "1" not in listed and len(listed) == 8


@pytest.mark.django_db
def test_the_fallback_reads_past_the_catalog_head_when_the_head_runs_out(catalog, no_model):
    from personalization_plugin.serving import catalog as serving_catalog

    catalog.fill(serving_catalog.HEAD_SIZE + 5)
    head = [str(k) for k in range(1, serving_catalog.HEAD_SIZE + 1)]
    found = serving_catalog.catalog_order(3, exclude=set(head))
    assert [p.id for p in found] == [str(serving_catalog.HEAD_SIZE + k) for k in (1, 2, 3)]


def clear_caches_but_the_catalog() -> None:
    """Serving's list caches, not the catalog facts: the next request reaches the fallback."""
    from personalization_plugin.serving import cache, fallbacks, placements

    cache.clear()
    fallbacks.clear()
    placements.clear()


@pytest.mark.django_db
@pytest.mark.parametrize("placement", ["similar", "bought_together"])
def test_full_list_for_a_product_the_model_never_saw(placement, catalog, model):
    catalog.fill(20, ["chairs", "tables"])
    catalog.add(product("brand-new", "tables"))
    model.popular_items = scored(1, 2, 3)
    model.similar_to = {"1": scored(2)}
    result = recommend(placement, product_id="brand-new", limit=8)
    assert len(result.items) == 8
    assert "brand-new" not in ids(result)
