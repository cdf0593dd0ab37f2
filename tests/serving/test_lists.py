"""Lists a shopper believes: each placement fills from its own sources, says which list
actually filled it, steps around what the page already shows, and explains itself."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from personalization_plugin.core.exceptions import InvalidRecommendationRequest
from personalization_plugin.models import Event
from personalization_plugin.serving import recommend
from personalization_plugin.serving.fallbacks import interleave
from personalization_plugin.tracking.api import track, track_order
from personalization_plugin.tracking.backends import get_backend
from personalization_plugin.tracking.identity import Visitor

from .conftest import product, scored

pytestmark = pytest.mark.django_db


def ids(result) -> list[str]:
    return [item.product.id for item in result.items]


# --- page-level exclusion ---------------------------------------------------------


@pytest.mark.parametrize(
    "placement,args",
    [
        ("trending", {}),
        ("for_you", {}),
        ("similar", {"product_id": "1"}),
        ("bought_together", {"product_id": "1"}),
        ("category_top", {"category_id": "chairs"}),
        ("new_arrivals", {}),
    ],
)
def test_exclude_keeps_what_the_page_shows_out_of_the_list(placement, args, catalog, model, alice):
    catalog.fill(30, ["chairs", "tables"])
    model.popular_items = scored(*range(1, 31))
    model.newest = scored(*range(30, 0, -1))
    model.personal = {alice.subject: scored(*range(2, 20))}
    model.similar_to = {"1": scored(*range(2, 20))}
    model.bought_with = {"1": scored(*range(2, 20))}
    before = recommend(placement, visitor=alice, limit=6, **args)
    shown = ids(before)[:4]
    after = recommend(placement, visitor=alice, limit=6, exclude=shown, **args)
    assert shown and not set(shown) & set(ids(after))
    assert len(after.items) == 6


# --- own sources, no silent borrowing ------------------------------------------------


def test_bought_together_without_co_purchases_is_empty_rather_than_similar(catalog, model):
    catalog.fill(12)
    model.similar_to = {"1": scored(2, 3, 4)}
    model.viewed_with = {"1": scored(5, 6)}
    model.popular_items = scored(7, 8, 9)
    result = recommend("bought_together", product_id="1", limit=4, fallback="none")
    assert result.items == [] and result.source == ""


def test_a_stand_in_says_which_list_it_is(catalog, model):
    catalog.fill(12)
    model.popular_items = scored(7, 8, 9, 10, 11)
    result = recommend("bought_together", product_id="1", limit=4)
    assert result.source == "popular" and result.borrowed
    assert result.title == "Popular right now"


def test_the_owner_chosen_fallback_fills_and_is_named(catalog, model):
    catalog.fill(12)
    model.similar_to = {"1": scored(2, 3, 4, 5)}
    result = recommend("bought_together", product_id="1", limit=4, fallback="similar")
    assert ids(result) == ["2", "3", "4", "5"]
    assert result.source == "similar" and result.title == "You may also like"


def test_a_placements_own_list_is_not_borrowed(catalog, model):
    catalog.fill(12)
    model.bought_with = {"1": scored(2, 3, 4, 5)}
    result = recommend("bought_together", product_id="1", limit=4, fallback="none")
    assert ids(result) == ["2", "3", "4", "5"]
    assert result.source == "bought_together" and not result.borrowed
    assert {i.reason for i in result.items} == {"Often bought with Product 1"}


def test_an_unknown_fallback_is_a_clear_error(catalog, model):
    catalog.fill(3)
    with pytest.raises(InvalidRecommendationRequest, match="Unknown fallback 'nope'; use one of"):
        recommend("trending", fallback="nope")


def test_viewed_together_is_its_own_list_with_its_own_reason(catalog, model):
    catalog.fill(12)
    model.viewed_with = {"1": scored(5, 6)}
    model.similar_to = {"1": scored(7, 8)}
    result = recommend("viewed_together", product_id="1", limit=4, fallback="none")
    assert ids(result) == ["5", "6"]
    assert result.items[0].reason == "Often viewed with Product 1"


# --- titles that tell the truth -------------------------------------------------------


@pytest.mark.parametrize(
    "visitor",
    [
        Visitor(visitor_id="bob", consent="denied"),
        Visitor(visitor_id="carol", gpc=True),
        Visitor(visitor_id="newcomer"),
    ],
    ids=["opted-out", "gpc", "no-history"],
)
def test_a_visitor_who_is_not_personalized_never_gets_a_for_you_list(visitor, catalog, model):
    catalog.fill(12)
    model.popular_items = scored(1, 2, 3, 4)
    model.personal = {"v:bob": scored(5, 6), "v:carol": scored(5, 6)}
    assert recommend("for_you", visitor=visitor, limit=4, fallback="none").items == []
    stood_in = recommend("for_you", visitor=visitor, limit=4)
    assert stood_in.items and stood_in.source != "for_you"
    assert stood_in.title != "Picked for you"
    assert not any("viewed" in item.reason for item in stood_in.items)


def test_a_held_out_visitor_gets_a_list_titled_for_what_it_is(catalog, model):
    from tests.experiments.factories import running_experiment, visitors_in

    catalog.fill(12)
    model.popular_items = scored(12, 11, 10, 9)
    experiment = running_experiment(holdout_percent=50)
    control = visitors_in(experiment, "control", 1, "shopper-")[0]
    model.personal = {f"v:{control}": scored(1, 2, 3, 4)}
    recs = recommend("for_you", visitor=Visitor(visitor_id=control), limit=4, fallback="none")
    assert recs.placement == "for_you" and recs.items
    assert recs.source == "popular" and recs.title == "Popular right now"


def test_a_personal_list_is_for_you_and_explains_with_the_shoppers_own_views(catalog, model, alice):
    catalog.fill(12)
    catalog.add(product("3", title="Oak Chair"))
    track("view", visitor=alice, product_id="3")
    model.personal = {alice.subject: scored(5, 6, 7, 8)}
    recs = recommend("for_you", visitor=alice, limit=4, fallback="none")
    assert recs.source == "for_you" and recs.title == "Picked for you"
    assert "Oak Chair" in recs.explanation
    assert "looked at" in recs.explanation


def test_a_trending_list_explains_it_is_the_same_for_everyone(catalog, model):
    catalog.fill(12)
    model.trending_items = scored(1, 2, 3)
    recs = recommend("trending", limit=3)
    assert recs.source == "trending"
    assert "same for every visitor" in recs.explanation


# --- cart completion ---------------------------------------------------------------


def test_cart_completion_suggests_for_every_line(catalog, model):
    catalog.add(product("pot", "cookware", title="Stockpot", price="80"))
    catalog.add(product("candle", "candles", title="Candle", price="9"))
    for n in range(1, 9):
        catalog.add(product(f"lid{n}", "cookware"), product(f"wick{n}", "candles"))
    model.bought_with = {
        "pot": scored(*(f"lid{n}" for n in range(1, 9))),
        "candle": scored(*(f"wick{n}" for n in range(1, 9))),
    }
    recs = recommend("cart", cart={"pot": 1, "candle": 1}, limit=4, fallback="none")
    got = ids(recs)
    assert any(p.startswith("lid") for p in got) and any(p.startswith("wick") for p in got)
    # weighted by line value: the 80 stockpot gets more of the slots than the 9 candle
    assert sum(p.startswith("lid") for p in got) > sum(p.startswith("wick") for p in got)
    reasons = {item.reason for item in recs.items}
    assert {"Often bought with Stockpot", "Often bought with Candle"} <= reasons


def test_cart_completion_leads_with_the_most_valuable_line_wherever_it_is_in_the_cart(
    catalog, model
):
    """Seven cheap lines first, the expensive one added last: it still gets the first
    suggestion (a line is never dropped for being late in the cart), and the remaining
    turns go round the other lines."""
    cheap = [f"cheap{n}" for n in range(1, 8)]
    for pid in cheap:
        catalog.add(product(pid, "candles", price="2"), product(f"{pid}-mate", "candles"))
    catalog.add(product("sofa", "living", title="Sofa", price="900"))
    for n in range(1, 9):
        catalog.add(product(f"cushion{n}", "living"))
    model.bought_with = {pid: scored(f"{pid}-mate") for pid in cheap}
    model.bought_with["sofa"] = scored(*(f"cushion{n}" for n in range(1, 9)))
    cart = {**dict.fromkeys(cheap, 1), "sofa": 1}
    got = ids(recommend("cart", cart=cart, limit=4, fallback="none"))
    assert got[0] == "cushion1", got
    assert got[1:] == ["cheap1-mate", "cheap2-mate", "cheap3-mate"]
    more = ids(recommend("cart", cart=cart, limit=12, fallback="none"))
    assert {f"{pid}-mate" for pid in cheap} <= set(more)  # every line gets its turn
    assert sum(p.startswith("cushion") for p in more) > 1  # the sofa's value earns more


def test_interleave_gives_each_anchor_a_turn_then_shares_by_weight():
    lists = {"a": ["a1", "a2", "a3", "a4", "a5"], "b": ["b1", "b2", "b3"]}
    order = interleave(lists, {"a": 3.0, "b": 1.0}, 6)
    assert order[:2] == [("a1", "a"), ("b1", "b")]
    assert sum(anchor == "a" for _, anchor in order) == 4
    # a shared item is taken once, and a list that runs dry yields its turns
    assert len({pid for pid, _ in interleave({"a": ["x"], "b": ["x", "y"]}, {}, 5)}) == 2


def test_cart_quantities_must_be_numbers(catalog, model):
    catalog.fill(3)
    with pytest.raises(InvalidRecommendationRequest, match="cart quantities must be numbers"):
        recommend("cart", cart={"1": "lots"})


# --- post-purchase, buy again, new arrivals ----------------------------------------------


def _purchase(who: str, pid: str, days_ago: float, order: str) -> Event:
    return Event(
        event_id=uuid.uuid4().hex,
        type="purchase",
        visitor_id=who,
        product_id=pid,
        order_id=order,
        occurred_at=timezone.now() - timedelta(days=days_ago),
    )


def test_post_purchase_shows_what_buyers_of_the_order_came_back_for(catalog, model):
    catalog.fill(12)
    catalog.add(product("1", title="Teapot"))
    Event.objects.bulk_create(
        [
            _purchase("b1", "1", 30, "o1"),
            _purchase("b1", "7", 10, "o2"),
            _purchase("b2", "1", 20, "o3"),
            _purchase("b2", "7", 5, "o4"),
            _purchase("b2", "8", 4, "o5"),
            _purchase("b3", "9", 40, "o6"),  # bought before, never after: not "next"
            _purchase("b3", "1", 3, "o7"),
        ]
    )
    recs = recommend("post_purchase", cart=["1"], limit=4, fallback="none")
    assert ids(recs) == ["7", "8"]
    assert recs.source == "post_purchase"
    assert recs.items[0].reason == "Buyers of Teapot came back for this"


def test_post_purchase_falls_back_to_what_is_bought_with_the_order(catalog, model):
    catalog.fill(12)
    model.bought_with = {"1": scored(4, 5)}
    recs = recommend("post_purchase", cart=["1"], limit=4, fallback="none")
    assert ids(recs) == ["4", "5"] and recs.source == "post_purchase"


def test_buy_again_shows_only_repurchasable_past_purchases(catalog, model, alice, personalization):
    personalization(REPURCHASABLE_CATEGORIES=["coffee"])
    catalog.fill(12)
    catalog.add(product("2", "coffee", title="Beans"), product("3", "chairs"))
    for order, pid in (("o1", "2"), ("o2", "3"), ("o3", "2")):
        track_order(
            visitor=alice, order_id=order, lines=[{"product_id": pid, "quantity": 1, "price": "9"}]
        )
    get_backend().flush()
    recs = recommend("buy_again", visitor=alice, limit=4, fallback="stand_in")
    assert ids(recs) == ["2"]
    assert recs.items[0].reason == "You bought this before"
    opted_out = Visitor(visitor_id=alice.visitor_id, consent="denied")
    assert recommend("buy_again", visitor=opted_out, limit=4).items == []


def test_new_arrivals_without_a_model_come_from_the_catalogs_dates(catalog, no_model):
    from dataclasses import replace

    now = timezone.now()
    for n in range(1, 6):
        catalog.add(replace(product(n), created_at=now - timedelta(days=n)))
    recs = recommend("new_arrivals", limit=3, fallback="none")
    assert ids(recs) == ["1", "2", "3"]
    assert recs.source == "new_arrivals" and recs.items[0].reason == "New arrival"


def test_an_erased_buyer_no_longer_counts_towards_bought_next(catalog, model):
    from personalization_plugin.privacy.erasure import erase

    catalog.fill(12)
    Event.objects.bulk_create([_purchase("gone", "1", 30, "o1"), _purchase("gone", "7", 10, "o2")])
    assert ids(recommend("post_purchase", cart=["1"], limit=4, fallback="none")) == ["7"]
    erase(visitor_id="gone")
    assert recommend("post_purchase", cart=["1"], limit=4, fallback="none").items == []
