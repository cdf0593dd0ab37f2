"""The merchandising form refuses pins that could never work, with a message saying why:
position 0, an out-of-stock or unpublished product, a slot another pin already holds."""

from __future__ import annotations

from decimal import Decimal

import pytest

from personalization_plugin.models import MerchandisingRule

pytestmark = pytest.mark.django_db
NEW = "/admin/personalization/rules/new/"


@pytest.fixture
def products():
    from shop.models import Category, Product

    mugs = Category.objects.create(name="Mugs", slug="mugs")
    make = lambda n, **kw: Product.objects.create(  # noqa: E731
        title=f"Mug {n}", slug=f"mug-{n}", price=Decimal("9"), category=mugs, **kw
    )
    return {"ok": make(1, stock=5), "other": make(2, stock=5), "empty": make(3, stock=0)}


def pin(product, position: int = 1, placement: str = "", **extra: str) -> dict:
    return {
        "action": "pin",
        "target_type": "product",
        "target_id": str(product.pk),
        "placement": placement,
        "position": position,
        "strength": 1,
        "enabled": "on",
        **extra,
    }


def test_position_zero_is_refused_because_slots_start_at_one(admin_client_, products):
    response = admin_client_.post(NEW, pin(products["ok"], position=0))
    assert "Positions start at 1 (the first slot)" in response.content.decode()
    assert not MerchandisingRule.objects.exists()


def test_pinning_an_out_of_stock_product_is_refused(admin_client_, products):
    response = admin_client_.post(NEW, pin(products["empty"]))
    html = response.content.decode()
    assert "“Mug 3” is out of stock or unpublished, so the pin would never show" in html
    assert not MerchandisingRule.objects.exists()


def test_a_second_pin_on_the_same_slot_is_refused(admin_client_, products):
    assert admin_client_.post(NEW, pin(products["ok"], placement="for_you")).status_code == 302
    response = admin_client_.post(NEW, pin(products["other"]))
    assert "Slot 1 is already taken by" in response.content.decode()
    assert MerchandisingRule.objects.count() == 1


def test_pins_on_other_slots_placements_or_dates_are_fine(admin_client_, products):
    first = pin(products["ok"], placement="for_you", ends_at="2026-01-01 00:00")
    assert admin_client_.post(NEW, first).status_code == 302
    assert admin_client_.post(NEW, pin(products["other"], position=2)).status_code == 302
    assert admin_client_.post(NEW, pin(products["other"], placement="similar")).status_code == 302
    later = pin(products["other"], placement="for_you", starts_at="2026-01-01 00:00")
    assert admin_client_.post(NEW, later).status_code == 302


@pytest.fixture
def segments():
    from personalization_plugin.segments.models import Segment

    Segment.objects.create(slug="vip", name="VIP", rules={"rule": "repeat_buyer"})
    Segment.objects.create(slug="new", name="Newcomers", rules={"rule": "new_visitor"})


def test_a_rule_can_be_limited_to_one_segment(admin_client_, products, segments):
    assert admin_client_.post(NEW, pin(products["ok"], segment="vip")).status_code == 302
    assert MerchandisingRule.objects.get().segment == "vip"
    assert "VIP" in admin_client_.get(NEW).content.decode()  # offered by name


def test_two_segments_may_each_pin_their_own_product_on_one_slot(admin_client_, products, segments):
    assert admin_client_.post(NEW, pin(products["ok"], segment="vip")).status_code == 302
    assert admin_client_.post(NEW, pin(products["other"], segment="new")).status_code == 302


def test_a_segment_pin_conflicts_with_one_for_everyone_on_the_same_slot(
    admin_client_, products, segments
):
    assert admin_client_.post(NEW, pin(products["ok"])).status_code == 302
    response = admin_client_.post(NEW, pin(products["other"], segment="vip"))
    assert "Slot 1 is already taken by" in response.content.decode()
    assert admin_client_.post(NEW, pin(products["other"], segment="vip")).status_code == 200


def test_an_unknown_segment_is_refused(admin_client_, products, segments):
    response = admin_client_.post(NEW, pin(products["ok"], segment="nobody"))
    assert "Select a valid choice" in response.content.decode()
    assert not MerchandisingRule.objects.exists()
