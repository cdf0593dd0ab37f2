"""Reasons: every item says why, in words a shopper can read, and never too much."""

from __future__ import annotations

import pytest

from personalization_plugin import track
from personalization_plugin.serving import REASON_CODES, recommend
from personalization_plugin.tracking.identity import Visitor

from .conftest import product, scored

pytestmark = pytest.mark.django_db


def test_every_item_has_a_readable_reason_and_known_code(catalog, no_model, alice):
    catalog.fill(20)
    for placement in ("for_you", "trending"):
        for item in recommend(placement, visitor=alice).items:
            assert item.reason and item.reason_code in REASON_CODES


def test_because_you_viewed(catalog, model, alice):
    catalog.fill(10)
    catalog.add(product("oak", title="Oak Chair"))
    model.similar_to = {"oak": scored(3)}
    track("view", visitor=alice, product_id="oak")
    first = recommend("for_you", visitor=alice).items[0]
    assert (first.product.id, first.reason) == ("3", "Because you viewed Oak Chair")


def test_often_bought_with(catalog, model):
    catalog.fill(10)
    catalog.add(product("oak", title="Oak Chair"))
    model.bought_with = {"oak": scored(4)}
    first = recommend("bought_together", product_id="oak").items[0]
    assert first.reason == "Often bought with Oak Chair"


def test_similar_to(catalog, model):
    catalog.fill(10)
    catalog.add(product("oak", title="Oak Chair"))
    model.similar_to = {"oak": scored(4)}
    assert recommend("similar", product_id="oak").items[0].reason == "Similar to Oak Chair"


def test_trending_in_category(catalog, no_model, alice):
    catalog.fill(10, ["chairs"])
    catalog.name_category("chairs", "Chairs")
    for shopper in ("alice", "bob", "carol"):  # trending needs distinct shoppers
        track("view", visitor=Visitor(visitor_id=shopper, consent="granted"), product_id="2")
    assert recommend("trending").items[0].reason == "Trending in Chairs"


def test_popular_right_now(catalog, model):
    catalog.fill(10)
    model.popular_items = scored(5)
    first = recommend("trending").items[0]
    assert (first.reason_code, first.reason) == ("popular", "Popular right now")


def test_new_arrival(catalog, model):
    catalog.fill(10)
    model.newest = scored(6)
    first = recommend("trending").items[0]
    assert (first.reason_code, first.reason) == ("new", "New arrival")


def test_in_your_recently_viewed(catalog, no_model, alice):
    catalog.fill(5)
    track("view", visitor=alice, product_id="3")
    assert recommend("recently_viewed", visitor=alice).items[0].reason == "In your recently viewed"


def test_a_sensitive_product_is_never_named(catalog, model, alice, personalization):
    personalization(SENSITIVE_CATEGORIES=["health"])
    catalog.fill(10)
    catalog.add(product("test-kit", "health", title="Pregnancy Test"))
    model.similar_to = {"test-kit": scored(3)}
    model.bought_with = {"test-kit": scored(4)}
    track("view", visitor=alice, product_id="test-kit")
    texts = [item.reason for item in recommend("for_you", visitor=alice).items]
    texts += [item.reason for item in recommend("bought_together", product_id="test-kit").items]
    texts += [item.reason for item in recommend("similar", product_id="test-kit").items]
    assert not any("Pregnancy" in text for text in texts)


def test_a_sensitive_category_is_never_named(catalog, no_model, alice, personalization):
    personalization(SENSITIVE_CATEGORIES=["health"])
    catalog.add(*(product(k, "health") for k in range(1, 6)))
    catalog.name_category("health", "Sexual Health")
    track("view", visitor=alice, product_id="2")
    assert all("Sexual" not in item.reason for item in recommend("trending").items)


def test_reasons_name_only_the_shoppers_own_products(catalog, model, alice):
    from personalization_plugin.tracking.identity import Visitor

    catalog.fill(10)
    catalog.add(product("secret", title="Someone Else's Pick"))
    bob = Visitor(visitor_id="bob", consent="granted")
    track("view", visitor=bob, product_id="secret")
    model.personal = {alice.subject: scored(3, 4)}
    assert all(
        "Someone Else" not in item.reason for item in recommend("for_you", visitor=alice).items
    )


def test_cart_suggestion_names_the_cart_item_it_goes_with(catalog, model):
    catalog.fill(10)
    catalog.add(product("desk", title="Oak Desk"), product("bed", title="Pine Bed"))
    model.bought_with = {"desk": scored(3), "bed": scored(4)}
    reasons = {i.product.id: i.reason for i in recommend("cart", cart=["desk", "bed"]).items}
    assert reasons["3"] == "Often bought with Oak Desk"
    assert reasons["4"] == "Often bought with Pine Bed"
