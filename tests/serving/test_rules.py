"""Serving-time rules: availability, cart, purchases, the owner's merchandising, filters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from personalization_plugin import track
from personalization_plugin.core.exceptions import InvalidRecommendationRequest
from personalization_plugin.models import MerchandisingRule
from personalization_plugin.serving import recommend
from personalization_plugin.tracking.api import track_order
from personalization_plugin.tracking.backends import get_backend

from .conftest import product, scored

pytestmark = pytest.mark.django_db


def ids(result) -> list[str]:
    return [item.product.id for item in result.items]


def rule(
    action: str, target_id: str, *, target_type: str = "product", **fields
) -> MerchandisingRule:
    return MerchandisingRule.objects.create(
        action=action, target_type=target_type, target_id=target_id, **fields
    )


def test_out_of_stock_products_are_never_shown(catalog, model):
    catalog.fill(12)
    catalog.add(product("3", in_stock=False))
    model.popular_items = scored(3, 4, 5)
    assert "3" not in ids(recommend("trending", limit=10))


def test_unpublished_products_are_never_shown(catalog, model):
    catalog.fill(12)
    catalog.add(product("4", published=False))
    model.popular_items = scored(4, 5)
    assert "4" not in ids(recommend("trending", limit=10))


def test_product_facts_are_fetched_in_batches(catalog, model):
    from .adapter import TestAdapter

    catalog.fill(40)
    model.popular_items = scored(*range(1, 41))
    recommend("trending", limit=8)
    assert max(len(call) for call in TestAdapter.calls) >= 16  # one call for the candidates
    assert len(TestAdapter.calls) <= 3


def test_purchased_products_are_excluded(catalog, model, alice):
    catalog.fill(12)
    model.personal = {alice.subject: scored(2, 3, 4)}
    track_order(
        visitor=alice, order_id="o1", lines=[{"product_id": "2", "quantity": 1, "price": "10"}]
    )
    get_backend().flush()
    assert "2" not in ids(recommend("for_you", visitor=alice, limit=8))


def test_purchased_products_in_repurchasable_categories_come_back(
    catalog, model, alice, personalization
):
    personalization(REPURCHASABLE_CATEGORIES=["coffee"])
    catalog.fill(12)
    catalog.add(product("2", "coffee"))
    model.personal = {alice.subject: scored(2, 3, 4)}
    track_order(
        visitor=alice, order_id="o1", lines=[{"product_id": "2", "quantity": 1, "price": "10"}]
    )
    get_backend().flush()
    assert ids(recommend("for_you", visitor=alice, limit=8))[0] == "2"


def test_exclude_rule_by_product(catalog, model):
    catalog.fill(12)
    model.popular_items = scored(5, 6, 7)
    rule("exclude", "5")
    result = recommend("trending", limit=10)
    assert "5" not in ids(result)
    assert len(result.items) == 10


def test_exclude_rule_by_category(catalog, model):
    catalog.fill(30, ["chairs", "tables", "lamps"])
    rule("exclude", "lamps", target_type="category")
    result = recommend("for_you", limit=12)
    assert len(result.items) == 12
    assert all("lamps" not in item.product.category_ids for item in result.items)


def test_rule_for_another_placement_does_not_apply(catalog, model):
    catalog.fill(12)
    model.popular_items = scored(5, 6, 7)
    rule("exclude", "5", placement="similar")
    assert "5" in ids(recommend("trending", limit=8))


def test_pin_lands_at_its_position(catalog, model):
    catalog.fill(20)
    model.popular_items = scored(*range(1, 21))
    rule("pin", "17", position=3, placement="trending")
    result = recommend("trending", limit=8)
    assert ids(result)[2] == "17"
    assert result.items[2].reason_code == "pinned"
    assert len(result.items) == 8


def test_pinned_product_already_in_the_list_moves_to_its_position(catalog, model):
    catalog.fill(20)
    model.popular_items = scored(*range(1, 21))
    rule("pin", "1", position=5)
    result = recommend("trending", limit=8)
    assert ids(result).index("1") == 4
    assert ids(result).count("1") == 1


def test_pin_of_an_out_of_stock_product_is_skipped(catalog, model):
    catalog.fill(20)
    catalog.add(product("17", in_stock=False))
    rule("pin", "17", position=1)
    assert "17" not in ids(recommend("trending", limit=8))


def test_boost_moves_a_product_up(catalog, model):
    catalog.fill(20)
    model.popular_items = scored(*range(1, 21))
    before = ids(recommend("category_top", category_id="chairs", limit=12)).index("10")
    rule("boost", "10", strength=1.0)
    after = ids(recommend("category_top", category_id="chairs", limit=12)).index("10")
    assert after < before


def test_bury_moves_a_category_down(catalog, model):
    catalog.fill(20, ["chairs", "tables"])
    model.popular_items = scored(*range(1, 21))
    rule("bury", "chairs", target_type="category", strength=3.0)
    result = recommend("trending", limit=8)
    assert "tables" in result.items[0].product.category_ids


def test_rule_outside_its_date_range_is_inactive(catalog, model):
    catalog.fill(20)
    model.popular_items = scored(*range(1, 21))
    now = timezone.now()
    rule("exclude", "1", starts_at=now + timedelta(days=1))
    rule("exclude", "2", ends_at=now - timedelta(days=1))
    rule("exclude", "3", starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=1))
    shown = ids(recommend("trending", limit=8))
    assert "1" in shown and "2" in shown
    assert "3" not in shown


def test_disabled_rule_is_ignored(catalog, model):
    catalog.fill(12)
    model.popular_items = scored(1, 2)
    rule("exclude", "1", enabled=False)
    assert "1" in ids(recommend("trending", limit=8))


def test_price_band(catalog, model):
    for k in range(1, 21):
        catalog.add(product(k, price=str(k * 10)))
    result = recommend("trending", min_price=50, max_price="120", limit=8)
    assert len(result.items) == 8
    assert all(50 <= item.product.price <= 120 for item in result.items)


def test_inverted_price_band_is_a_clear_error(catalog):
    with pytest.raises(InvalidRecommendationRequest, match="min_price .* is above max_price"):
        recommend("trending", min_price=100, max_price=10)


def test_non_numeric_price_is_a_clear_error(catalog):
    with pytest.raises(InvalidRecommendationRequest, match="max_price must be a number"):
        recommend("trending", max_price="cheap")


def test_category_filter_applies_to_personal_lists(catalog, model, alice):
    catalog.fill(30, ["chairs", "tables", "lamps"])
    model.personal = {alice.subject: scored(1, 2, 3, 4, 5, 6)}
    result = recommend("for_you", visitor=alice, category_id="tables", limit=6)
    assert len(result.items) == 6
    assert all("tables" in item.product.category_ids for item in result.items)


def test_opted_out_visitor_gets_only_non_personal_lists(catalog, model, opted_out, alice):
    catalog.fill(30, ["chairs", "tables", "lamps"])
    model.personal = {opted_out.subject: scored(1, 2, 3)}
    model.popular_items = scored(*range(30, 10, -1))
    track("view", visitor=alice, product_id="9")  # someone else's activity makes it trend
    result = recommend("for_you", visitor=opted_out, limit=8)
    assert len(result.items) == 8
    assert {item.reason_code for item in result.items} <= {"popular", "trending"}
    assert not any(call.startswith(f"for_subject:{opted_out.subject}") for call in model.calls)


def test_opted_out_visitor_history_is_not_read(catalog, model, personalization):
    from personalization_plugin.tracking.identity import Visitor

    catalog.fill(12)
    personalization(CONSENT_MODE="implied")
    carol = Visitor(visitor_id="carol")
    track("view", visitor=carol, product_id="4")
    carol.consent = "denied"
    assert recommend("recently_viewed", visitor=carol).items == []


def test_rules_are_read_once_per_refresh(catalog, model, django_assert_max_num_queries):
    catalog.fill(12)
    recommend("trending")
    with django_assert_max_num_queries(0):
        recommend("trending")
