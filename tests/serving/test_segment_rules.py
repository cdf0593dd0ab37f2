"""Merchandising rules limited to one segment: they apply to its members and to nobody else."""

from __future__ import annotations

import pytest

from personalization_plugin.models import MerchandisingRule
from personalization_plugin.serving import recommend
from personalization_plugin.tracking.identity import Visitor
from tests.segments.factories import orders

from .conftest import scored

pytestmark = pytest.mark.django_db


def ids(result) -> list[str]:
    return [item.product.id for item in result.items]


@pytest.fixture
def vips():
    """A real segment, "two orders or more", with customer 7 in it and customer 8 not."""
    from personalization_plugin.profiles import store
    from personalization_plugin.segments import engine
    from personalization_plugin.segments.models import Segment

    Segment.objects.create(slug="vip", name="VIP", rules={"rule": "repeat_buyer"})
    orders("7", [3, 1])
    orders("8", [2])
    store.clear_local()
    engine.forget_definitions()
    return Visitor(visitor_id="v7", customer_id="7"), Visitor(visitor_id="v8", customer_id="8")


def test_a_pin_for_a_segment_leads_its_members_lists_only(catalog, model, vips):
    member, other = vips
    catalog.fill(20)
    model.popular_items = scored(*range(1, 15))
    MerchandisingRule.objects.create(
        action="pin", target_type="product", target_id="17", position=1, segment="vip"
    )
    assert ids(recommend("trending", visitor=member, limit=6))[0] == "17"
    assert "17" not in ids(recommend("trending", visitor=other, limit=6))
    assert "17" not in ids(recommend("trending", limit=6))  # anonymous: in no segment


def test_an_exclusion_for_a_segment_hides_the_category_from_its_members_only(catalog, model, vips):
    member, other = vips
    catalog.fill(20, categories=("chairs", "mugs"))  # odd ids are chairs, even ids mugs
    model.popular_items = scored(*range(1, 15))
    everyone = ids(recommend("trending", visitor=other, limit=10))
    assert any(int(p) % 2 == 0 for p in everyone)
    MerchandisingRule.objects.create(
        action="exclude", target_type="category", target_id="mugs", segment="vip"
    )
    mine = ids(recommend("trending", visitor=member, limit=10))
    assert mine and all(int(p) % 2 == 1 for p in mine)
    assert ids(recommend("trending", visitor=other, limit=10)) == everyone


def test_the_caller_can_name_the_segments_to_serve_as(catalog, model):
    catalog.fill(20)
    model.popular_items = scored(*range(1, 15))
    MerchandisingRule.objects.create(
        action="pin", target_type="product", target_id="18", position=2, segment="vip"
    )
    assert ids(recommend("trending", limit=6, segments=["vip"]))[1] == "18"
    assert "18" not in ids(recommend("trending", limit=6, segments=[]))


def test_a_rule_for_a_deleted_segment_applies_to_nobody(catalog, model, vips):
    member, _ = vips
    catalog.fill(20)
    model.popular_items = scored(*range(1, 15))
    MerchandisingRule.objects.create(
        action="pin", target_type="product", target_id="17", position=1, segment="gone"
    )
    assert "17" not in ids(recommend("trending", visitor=member, limit=6))
