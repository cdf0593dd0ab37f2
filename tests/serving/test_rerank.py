"""`rerank()`: the store's own list in a shopper's order, read as a specification.

Most tests use the serving area's hand-written model (what it answers is what the test
says, so the expected order can be worked out); the last ones re-rank on a model
trained by the real engine from tracked events. Catalog, rules, consent and the
real-time store are the real ones.
"""

from __future__ import annotations

import importlib
import random

import pytest

from personalization_plugin import track
from personalization_plugin.core.exceptions import InvalidRecommendationRequest
from personalization_plugin.engine import registry
from personalization_plugin.engine.training import train
from personalization_plugin.models import MerchandisingRule
from personalization_plugin.serving import Reranked, rerank
from personalization_plugin.tracking.api import track_order
from personalization_plugin.tracking.backends import get_backend
from personalization_plugin.tracking.identity import Visitor

from .conftest import product, scored

pytestmark = pytest.mark.django_db

rerank_module = importlib.import_module("personalization_plugin.serving.rerank")
STORE_ORDER = [str(k) for k in range(1, 21)]


def rule(action: str, target_id: str, *, target_type: str = "product", **fields):
    return MerchandisingRule.objects.create(
        action=action, target_type=target_type, target_id=target_id, **fields
    )


@pytest.fixture
def listing(catalog):
    """Twenty chairs and lamps, in the store's order 1..20; desks 90..99 are elsewhere
    in the store (what the shopper viewed off this page)."""
    catalog.fill(20, ("chairs", "lamps"))
    catalog.fill(10, ("desks",), start=90)
    return list(STORE_ORDER)


# -- who is not personalized gets the store's order ---------------------------------------


def test_an_anonymous_visitor_gets_the_store_order(listing, model):
    model.personal["v:alice"] = scored(20, 19, 18)
    result = rerank(listing, None)
    assert result.ids == listing
    assert result.moved == {}
    assert not result.personalized


def test_a_shopper_who_opted_out_gets_the_store_order(listing, model, opted_out):
    model.personal[opted_out.subject] = scored(20, 19, 18)
    track("view", visitor=Visitor(visitor_id="bob", consent="granted"), product_id="20")
    assert rerank(listing, opted_out).ids == listing


def test_without_consent_in_required_mode_the_store_order_stays(listing, model, personalization):
    personalization(CONSENT_MODE="required")
    undecided = Visitor(visitor_id="alice")
    model.personal[undecided.subject] = scored(20, 19)
    assert rerank(listing, undecided).ids == listing


def test_a_shopper_with_no_history_gets_the_store_order(listing, model, alice):
    assert rerank(listing, alice).ids == listing


def test_without_a_model_the_store_order_stays(listing, no_model, alice):
    track("view", visitor=alice, product_id="20")
    result = rerank(listing, alice)
    assert result.ids == listing
    assert result.model_version == ""


# -- the blend ----------------------------------------------------------------------------


def test_the_shoppers_model_favourites_move_up_with_a_reason(listing, model, alice):
    model.personal[alice.subject] = scored(17, 12)  # 12 scores half what 17 does
    result = rerank(listing, alice)
    assert result.ids[:2] == ["17", "1"]
    assert result.ids.index("12") < 12 - 1
    assert result.personalized and result.model_version == model.version
    assert result.moved["17"].reason_code == "viewed"
    assert result.moved["17"].before == 17 and result.moved["17"].after == 1
    assert result.moved["17"].reason == "Based on what you have looked at"


def test_items_pushed_down_say_so(listing, model, alice):
    model.personal[alice.subject] = scored(17)
    result = rerank(listing, alice)
    assert result.moved["1"].reason_code == "displaced"
    assert result.moved["1"].after == 2
    assert "18" not in result.moved  # 18 stayed in its slot


def test_products_viewed_with_the_shoppers_recent_item_move_up(listing, model, alice):
    track("view", visitor=alice, product_id="99")  # a product off this page
    model.viewed_with["99"] = scored(15)
    result = rerank(listing, alice)
    assert result.ids[0] == "15"
    assert result.moved["15"].reason_code == "viewed_with"


def test_a_reason_names_the_shoppers_own_product(listing, catalog, model, alice):
    catalog.add(product("99", title="Oak Desk"))
    track("view", visitor=alice, product_id="99")
    model.viewed_with["99"] = scored(15)
    assert rerank(listing, alice).reasons["15"] == "Often viewed with Oak Desk"


def test_a_sensitive_product_is_never_named(listing, catalog, model, alice, personalization):
    personalization(SENSITIVE_CATEGORIES=["health"])
    catalog.add(product("99", "health", title="Test Kit"))
    track("view", visitor=alice, product_id="99")
    model.viewed_with["99"] = scored(15)
    assert rerank(listing, alice).reasons["15"] == "Often viewed together"


def test_what_goes_with_the_cart_moves_up(listing, model, alice):
    track("cart_add", visitor=alice, product_id="98")
    model.bought_with["98"] = scored(11)
    result = rerank(listing, alice)
    assert result.ids[0] == "11"
    assert result.moved["11"].reason_code == "bought_with"


def test_the_newest_recent_item_weighs_more_than_older_ones(listing, model, alice):
    track("view", visitor=alice, product_id="90")
    track("view", visitor=alice, product_id="91")  # newest
    model.viewed_with["90"] = scored(14)
    model.viewed_with["91"] = scored(16)
    result = rerank(listing, alice).ids
    assert result[0] == "16"
    assert result.index("14") > result.index("16")


def test_text_relevance_is_the_prior_when_given(listing, model, alice):
    model.personal[alice.subject] = scored(20)
    relevance = [10.0, 10.0] + [1.0] * 18  # hits 1 and 2 match the words far better
    by_store_order = rerank(listing, alice, "search")
    by_relevance = rerank(listing, alice, "search-relevance", relevance=relevance)
    assert by_store_order.ids[:2] == ["20", "1"]
    assert by_relevance.ids[:3] == ["1", "2", "20"]  # strong matches hold; ties keep order


def test_unknown_ids_keep_their_place(listing, model, alice):
    model.personal[alice.subject] = scored(17)
    candidates = [*listing[:3], "not-in-catalog", *listing[3:]]
    result = rerank(candidates, alice)
    assert result.ids.index("not-in-catalog") == 3
    assert result.ids[0] == "17"


# -- merchandising ------------------------------------------------------------------------


def test_exclusions_leave_the_list(listing, model):
    rule("exclude", "5")
    rule("exclude", "lamps", target_type="category")
    result = rerank(listing, None)
    assert "5" not in result.ids
    assert all(int(pid) % 2 == 1 for pid in result.ids)  # the lamps (even ids) are gone
    assert "5" in result.excluded and "2" in result.excluded


def test_a_pin_keeps_its_slot_against_the_shoppers_favourites(listing, model, alice):
    model.personal[alice.subject] = scored(17)
    rule("pin", "20", position=1)
    result = rerank(listing, alice)
    assert result.ids[:3] == ["20", "17", "1"]
    assert result.moved["20"].reason_code == "pinned"


def test_a_pin_for_a_product_not_on_the_page_adds_nothing(listing, model):
    rule("pin", "777", position=1)
    assert rerank(listing, None).ids == listing


def test_boost_and_bury_apply_for_everyone(listing, model):
    rule("boost", "10", strength=2)
    rule("bury", "1", strength=2)
    result = rerank(listing, None)
    assert result.ids[0] == "10"
    assert result.ids.index("1") > 10
    assert result.moved["10"].reason_code == "boosted"
    assert result.moved["1"].reason_code == "buried"


def test_category_top_rules_apply_on_a_category_page_only(listing, model):
    rule("boost", "10", strength=2, placement="category_top")
    assert rerank(listing, None, "category:chairs").ids[0] == "10"
    assert rerank(listing, None, "search").ids == listing


# -- stable pagination --------------------------------------------------------------------


def test_the_same_shopper_gets_the_same_order_for_the_same_list(listing, model, alice):
    model.personal[alice.subject] = scored(17, 12)
    track("view", visitor=alice, product_id="99")
    model.viewed_with["99"] = scored(8)
    assert rerank(listing, alice, "category:chairs") == rerank(listing, alice, "category:chairs")


def test_a_new_view_does_not_reshuffle_the_listing_while_it_is_stable(listing, model, alice):
    model.viewed_with["99"] = scored(8)
    model.viewed_with["98"] = scored(4)
    track("view", visitor=alice, product_id="99")
    first = rerank(listing, alice, "category:chairs")
    track("view", visitor=alice, product_id="98")  # between page 1 and page 2
    assert rerank(listing, alice, "category:chairs").ids == first.ids
    assert rerank(listing, alice, "search").ids[0] == "4"  # another listing reads it


def test_the_order_refreshes_after_the_stable_window(listing, model, alice):
    model.viewed_with["99"] = scored(8)
    model.viewed_with["98"] = scored(4)
    track("view", visitor=alice, product_id="99")
    assert rerank(listing, alice, "category:chairs").ids[0] == "8"
    track("view", visitor=alice, product_id="98")
    rerank_module.clear()  # the snapshot expired (what STABLE_SECONDS later looks like)
    assert rerank(listing, alice, "category:chairs").ids[0] == "4"


def test_a_model_trained_mid_visit_does_not_reshuffle_the_listing(listing, model, alice):
    model.personal[alice.subject] = scored(17)
    first = rerank(listing, alice, "category:chairs")
    model.version, model.personal[alice.subject] = "hand-2", scored(9)  # a retrained model
    assert rerank(listing, alice, "category:chairs").ids == first.ids
    assert rerank(listing, alice, "search").ids[0] == "9"


def test_a_shopper_who_opted_out_leaves_nothing_in_redis(listing, model, opted_out, use_redis):
    model.personal[opted_out.subject] = scored(17)
    assert rerank(listing, opted_out, "category:chairs").ids == listing
    assert not list(use_redis.scan_iter("*:rerank:*"))


def test_reasons_are_worked_out_when_asked_for(listing, model, alice):
    model.personal[alice.subject] = scored(17)
    result = rerank(listing, alice)
    assert "moved" not in vars(result)  # not computed yet: a template needs only the ids
    assert result.moved["17"].reason_code == "viewed"


def test_the_snapshot_lives_in_redis_under_the_shoppers_hashed_prefix(
    listing, model, alice, use_redis
):
    model.viewed_with["99"] = scored(8)
    model.viewed_with["98"] = scored(4)
    track("view", visitor=alice, product_id="99")
    first = rerank(listing, alice, "category:chairs")
    keys = [k.decode() for k in use_redis.scan_iter("*:rerank:*")]
    assert len(keys) == 1
    assert "alice" not in keys[0]
    assert 0 < use_redis.ttl(keys[0]) <= rerank_module.STABLE_SECONDS
    rerank_module.clear()  # another web process: no local copy, only Redis
    track("view", visitor=alice, product_id="98")
    assert rerank(listing, alice, "category:chairs").ids == first.ids


def test_two_pages_loading_at_once_agree_on_the_first_stored_snapshot(
    listing, model, alice, use_redis, monkeypatch
):
    """The race, interleaved by hand: while this request reads the shopper's intent,
    another web process (here: the same code with an older intent) stores its snapshot
    first. This request must use that one, not overwrite it."""
    model.viewed_with["99"] = scored(8)
    model.viewed_with["98"] = scored(4)
    track("view", visitor=alice, product_id="99")
    live_intent = rerank_module._live_intent
    other_page = live_intent(alice.subject, model)  # what the other process read
    track("view", visitor=alice, product_id="98")

    def slower_than_the_other_process(subject, active_model):
        intent = live_intent(subject, active_model)
        key = rerank_module._snapshot_key(subject, "category:chairs")
        use_redis.set(key, other_page.to_json(), ex=60)
        return intent

    monkeypatch.setattr(rerank_module, "_live_intent", slower_than_the_other_process)
    this_page = rerank(listing, alice, "category:chairs")
    monkeypatch.setattr(rerank_module, "_live_intent", live_intent)
    rerank_module.clear()
    assert this_page.ids[0] == "8"  # the other process's intent (before 98 was viewed)
    assert rerank(listing, alice, "category:chairs").ids == this_page.ids


def test_erasure_deletes_the_redis_snapshot(listing, model, alice, use_redis):
    from personalization_plugin.serving.cache import erase_subjects

    model.viewed_with["99"] = scored(8)
    track("view", visitor=alice, product_id="99")
    rerank(listing, alice, "category:chairs")
    assert list(use_redis.scan_iter("*:rerank:*"))
    erase_subjects({alice.subject})
    assert not list(use_redis.scan_iter("*:rerank:*"))


# -- hostile input ------------------------------------------------------------------------


def test_too_many_candidates_are_refused_with_the_limit(catalog):
    too_many = [str(k) for k in range(rerank_module.MAX_CANDIDATES + 1)]
    with pytest.raises(InvalidRecommendationRequest, match="at most 1000"):
        rerank(too_many, None)


@pytest.mark.parametrize(
    ("candidates", "message"),
    [
        ([1, 2, 3], "must be strings"),
        (["1", None], "must be strings"),
        (["1", ""], "empty"),
        (["1", "x" * 300], "longer than"),
        (["1", "2", "1"], "listed twice"),
        ("123", "list of product ids"),
    ],
)
def test_malformed_candidates_get_a_clear_error(catalog, candidates, message):
    with pytest.raises(InvalidRecommendationRequest, match=message):
        rerank(candidates, None)


@pytest.mark.parametrize("relevance", [[1.0], [1.0, "high"], [1.0, float("nan")]])
def test_malformed_relevance_gets_a_clear_error(catalog, relevance):
    with pytest.raises(InvalidRecommendationRequest, match="relevance"):
        rerank(["1", "2"], None, relevance=relevance)


def test_an_empty_list_is_an_empty_answer(catalog):
    assert rerank([], None) == Reranked(ids=[])


def test_only_the_candidates_are_looked_up(listing, model, alice):
    from .adapter import TestAdapter

    model.personal[alice.subject] = scored(17)
    TestAdapter.calls = []
    rerank(listing, alice)
    assert TestAdapter.scans == 0  # never iterates the catalog


# -- on a model the real engine trained -----------------------------------------------------


@pytest.fixture
def trained(catalog, personalization, tmp_path):
    """30 products in 3 categories; each shopper stays in one category."""
    personalization(MODEL_DIR=str(tmp_path), FACTORS=8, ITERATIONS=5)
    registry.reset()
    catalog.fill(30, ("chairs", "tables", "lamps"))  # product k: category (k - 1) % 3
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


def test_a_trained_model_lifts_the_shoppers_category(trained):
    table_shopper = Visitor(visitor_id="shopper1", consent="granted")
    store_order = [str(k) for k in range(1, 31)]
    result = rerank(store_order, table_shopper)
    assert result.personalized and result.model_version == trained.version
    top = result.ids[:6]
    tables = [pid for pid in top if (int(pid) - 1) % 3 == 1]
    assert len(tables) >= 4, top
    assert sorted(result.ids) == sorted(store_order)


def test_a_trained_model_reranks_with_redis(trained, use_redis):
    newcomer = Visitor(visitor_id="newcomer", consent="granted")
    track("view", visitor=newcomer, product_id="3")  # a lamp
    store_order = [str(k) for k in range(1, 31)]
    result = rerank(store_order, newcomer, "category:all")
    lamps = [pid for pid in result.ids[:5] if (int(pid) - 1) % 3 == 2]
    assert len(lamps) >= 3, result.ids[:5]
    assert rerank(store_order, newcomer, "category:all") == result
