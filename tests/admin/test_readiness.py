"""The dashboard says, per placement, whether the store has the data for it to be
personal yet, what that was judged on and what fills the list until then."""

from __future__ import annotations

import pytest

from personalization_plugin.core.placements import Placement
from personalization_plugin.engine.training import train
from personalization_plugin.reports import readiness
from tests.engine.conftest import planted_rows, store_events

pytestmark = pytest.mark.django_db


def _by_placement() -> dict[Placement, readiness.PlacementReadiness]:
    return {r.placement: r for r in readiness.placements()}


def test_every_placement_has_a_row_in_its_own_order():
    assert [r.placement for r in readiness.placements()] == list(Placement)


def test_a_new_store_without_a_model_is_not_personal_and_says_what_fills_in():
    rows = _by_placement()
    for placement in (
        Placement.FOR_YOU,
        Placement.SIMILAR,
        Placement.BOUGHT_TOGETHER,
        Placement.VIEWED_TOGETHER,
        Placement.CART,
        Placement.POST_PURCHASE,
        Placement.CATEGORY_TOP,
    ):
        assert rows[placement].state == "not_yet", placement
        assert "No model" in rows[placement].evidence
    assert rows[Placement.FOR_YOU].until_then.startswith("Products like the ones viewed")
    assert "empty-list setting" in rows[Placement.BOUGHT_TOGETHER].until_then
    assert rows[Placement.RECENTLY_VIEWED].state == "ready"  # the shopper's own views


def test_a_small_model_is_partly_personal_and_names_its_numbers():
    store_events(planted_rows(n_users=4))  # 8 shoppers: below the model threshold
    train()
    row = _by_placement()[Placement.FOR_YOU]
    assert row.state == "partly"
    assert "8 shoppers" in row.evidence and "50 shoppers" in row.evidence


def test_a_model_with_enough_shoppers_is_personal(monkeypatch):
    monkeypatch.setattr(readiness, "MIN_MODEL_SHOPPERS", 20)
    monkeypatch.setattr(readiness, "MIN_MODEL_INTERACTIONS", 100)
    store_events(planted_rows(n_users=12))  # 24 shoppers, 7 events each
    train()
    rows = _by_placement()
    assert rows[Placement.FOR_YOU].state == "ready"
    # every planted order has two products, so every bought product has a co-purchase
    assert rows[Placement.BOUGHT_TOGETHER].state in ("ready", "partly")
    assert "available products have co-purchases" in rows[Placement.BOUGHT_TOGETHER].evidence


def test_co_purchases_are_judged_on_products_with_a_list_of_their_own():
    rows = [r for r in planted_rows(n_users=12) if r["type"] == "view"]  # no orders at all
    store_events(rows)
    train()
    row = _by_placement()[Placement.BOUGHT_TOGETHER]
    assert row.state == "not_yet"
    assert row.evidence.startswith("0 of ")


def test_buy_again_is_off_until_repurchasable_categories_are_set(personalization):
    personalization(REPURCHASABLE_CATEGORIES=[])
    row = _by_placement()[Placement.BUY_AGAIN]
    assert row.state == "off" and "REPURCHASABLE_CATEGORIES" in row.evidence
    personalization(REPURCHASABLE_CATEGORIES=["cat-A"])
    row = _by_placement()[Placement.BUY_AGAIN]
    assert row.state == "not_yet" and "reorder interval" in row.evidence


def test_trending_is_personal_only_once_enough_distinct_shoppers_viewed(personalization):
    from personalization_plugin import track
    from personalization_plugin.serving import clear_caches
    from personalization_plugin.tracking.identity import Visitor

    personalization(TRENDING_MIN_SHOPPERS=3)
    for _ in range(5):  # one visitor's five views are not trending
        track("view", visitor=Visitor(visitor_id="one"), product_id="P1", validate_products=False)
    assert _by_placement()[Placement.TRENDING].state == "not_yet"
    for k in range(4):
        track(
            "view",
            visitor=Visitor(visitor_id=f"shopper{k}"),
            product_id="P1",
            validate_products=False,
        )
    clear_caches()  # the live board is reused for a second
    row = _by_placement()[Placement.TRENDING]
    assert row.state == "ready" and row.evidence.startswith("1 product is")


def test_the_dashboard_shows_the_readiness_table(admin_client_):
    html = admin_client_.get("/admin/personalization/").content.decode()
    assert "Is each placement personal yet?" in html
    assert 'data-placement="for_you" data-state="not_yet"' in html
    assert "Until then" in html
