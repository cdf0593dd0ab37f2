"""Buy-again: a shopper's repurchasable past purchases, timed by how often they reorder."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from personalization_plugin.models import Event
from personalization_plugin.privacy.erasure import erase
from personalization_plugin.serving import recommend
from personalization_plugin.tracking.identity import Visitor

from .conftest import product

pytestmark = pytest.mark.django_db


def bought(who: str, pid: str, *days_ago: float) -> None:
    Event.objects.bulk_create(
        Event(
            event_id=uuid.uuid4().hex,
            type="purchase",
            visitor_id=who,
            product_id=pid,
            order_id=uuid.uuid4().hex,
            occurred_at=timezone.now() - timedelta(days=d),
        )
        for d in days_ago
    )


def shopper(name: str) -> Visitor:
    return Visitor(visitor_id=name, consent="granted")


def again(name: str) -> list[tuple[str, str]]:
    recs = recommend("buy_again", visitor=shopper(name), limit=6, fallback="none")
    return [(r.product.id, r.reason) for r in recs.items]


@pytest.fixture
def store(catalog, model, personalization):
    personalization(REPURCHASABLE_CATEGORIES=["coffee", "filters"])
    catalog.add(
        product("beans", "coffee", title="Beans"),
        product("decaf", "coffee", title="Decaf"),
        product("filter", "filters", title="Filter"),
        product("chair", "chairs", title="Chair"),
    )
    return catalog


def test_a_product_due_by_the_shoppers_own_interval_is_shown_with_that_interval(store):
    bought("alice", "beans", 63, 42, 21)
    assert again("alice") == [("beans", "You usually reorder this every ~3 weeks")]


def test_a_product_just_bought_is_not_shown_until_it_is_nearly_due(store):
    bought("alice", "beans", 41, 21, 1)
    assert again("alice") == []


def test_the_most_due_product_comes_first(store):
    bought("alice", "beans", 70, 60, 50)  # every 10 days, due 40 days ago: lapsed
    bought("alice", "filter", 90, 60, 30)  # every 30 days, due today
    assert [pid for pid, _ in again("alice")] == ["filter", "beans"]


def test_a_product_bought_once_is_timed_by_the_shoppers_interval_for_its_category(store):
    bought("alice", "decaf", 84, 56)
    bought("alice", "beans", 28)  # switched brand: coffee every 4 weeks, beans due now
    assert again("alice")[0] == ("beans", "You usually reorder this every ~4 weeks")
    bought("bob", "decaf", 56, 28)
    bought("bob", "beans", 1)  # bob's beans were bought yesterday: not due
    assert [pid for pid, _ in again("bob")] == ["decaf"]


def test_without_an_own_interval_the_stores_repeat_buyers_time_it(store):
    for other in ("b1", "b2", "b3"):
        bought(other, "filter", 120, 90, 60)  # the store reorders filters monthly
    bought("carol", "filter", 2)
    bought("dave", "filter", 29)
    assert again("carol") == []
    assert again("dave") == [("filter", "Customers usually reorder this every ~4 weeks")]


def test_a_product_without_any_interval_is_shown_with_the_plain_reason(store):
    bought("alice", "beans", 5)
    assert again("alice") == [("beans", "You bought this before")]


def test_non_repurchasable_products_are_never_shown_even_when_due(store):
    bought("alice", "chair", 63, 42, 21)
    bought("alice", "beans", 63, 42, 21)
    assert [pid for pid, _ in again("alice")] == ["beans"]
    recs = recommend("buy_again", visitor=shopper("alice"), limit=6, fallback="stand_in")
    assert "chair" not in [r.product.id for r in recs.items]


def test_an_erased_shopper_is_gone_from_buy_again_and_from_the_stores_intervals(store):
    bought("alice", "filter", 40, 30, 20, 10)  # alice alone sets the store's 10-day interval
    bought("dave", "filter", 9)
    assert again("alice") == [("filter", "You usually reorder this every ~10 days")]
    assert again("dave") == [("filter", "Customers usually reorder this every ~10 days")]
    erase(visitor_id="alice")
    assert again("alice") == []
    assert again("dave") == [("filter", "You bought this before")]


def test_without_consent_there_is_no_buy_again(store):
    bought("alice", "beans", 63, 42, 21)
    opted_out = Visitor(visitor_id="alice", consent="denied")
    assert recommend("buy_again", visitor=opted_out, limit=6).items == []
