"""Shopper preferences from the privacy center are stored per shopper and honoured: serving
leaves muted categories out, the trigger scan skips switched-off messages, erasure and the
export include them."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from personalization_plugin.core import registry
from personalization_plugin.models import ShopperPreference
from personalization_plugin.privacy import preferences
from personalization_plugin.privacy.erasure import erase
from personalization_plugin.privacy.export import export_subject
from personalization_plugin.serving import recommend
from personalization_plugin.tracking.identity import Visitor
from personalization_plugin.triggers.scan import KINDS, scan
from tests.segments.factories import event

pytestmark = pytest.mark.django_db
SHOPPER = Visitor(visitor_id="6" * 32)


def _categories(placement: str, visitor: Visitor, **kwargs: str) -> set[str]:
    recs = recommend(placement, visitor=visitor, limit=30, **kwargs)
    return {c for item in recs.items for c in item.product.category_ids}


def test_the_message_kinds_are_the_trigger_kinds() -> None:
    assert preferences.MESSAGE_NAMES == KINDS


def test_a_muted_category_is_left_out_of_the_shoppers_lists() -> None:
    assert _categories("for_you", SHOPPER) == {"chairs", "tables"}
    preferences.set_category_muted(SHOPPER, "chairs", True)
    assert _categories("for_you", SHOPPER) == {"tables"}


def test_a_muted_category_stays_for_other_shoppers() -> None:
    preferences.set_category_muted(SHOPPER, "chairs", True)
    assert _categories("for_you", Visitor(visitor_id="7" * 32)) == {"chairs", "tables"}


def test_a_muted_category_still_shows_when_browsing_that_category() -> None:
    preferences.set_category_muted(SHOPPER, "chairs", True)
    assert _categories("trending", SHOPPER, category_id="chairs") == {"chairs"}


def test_unmuting_brings_the_category_back() -> None:
    preferences.set_category_muted(SHOPPER, "chairs", True)
    preferences.set_category_muted(SHOPPER, "chairs", False)
    assert _categories("for_you", SHOPPER) == {"chairs", "tables"}


def test_a_category_muted_before_signing_in_applies_to_the_customer() -> None:
    preferences.set_category_muted(SHOPPER, "tables", True)
    signed_in = SHOPPER.with_customer("41")
    assert _categories("for_you", signed_in) == {"chairs"}


def test_a_failing_preference_source_never_breaks_a_list(caplog: pytest.LogCaptureFixture) -> None:
    def broken(visitor: object) -> set[str]:
        raise RuntimeError("store down")

    registry.register_category_mutes(broken)
    try:
        with caplog.at_level(logging.ERROR):
            assert _categories("for_you", SHOPPER) == {"chairs", "tables"}
    finally:
        registry.unregister_category_mutes(broken)
    assert "RuntimeError" in caplog.text


def test_an_empty_category_id_is_refused_with_what_to_send() -> None:
    with pytest.raises(preferences.InvalidPreference, match="category id of 1 to 128"):
        preferences.set_category_muted(SHOPPER, "  ", True)


def test_a_switched_off_message_is_not_sent() -> None:
    customer = Visitor(visitor_id="8" * 32, customer_id="7")
    event("cart_add", customer="7", product_id="1", at=timezone.now() - timedelta(hours=2))
    preferences.set_message_enabled(customer, "abandoned_cart", False)
    report = scan(kinds=["abandoned_cart"])
    assert (report.fired, report.switched_off) == (0, 1)


def test_a_message_switched_on_again_is_sent() -> None:
    customer = Visitor(visitor_id="8" * 32, customer_id="7")
    event("cart_add", customer="7", product_id="1", at=timezone.now() - timedelta(hours=2))
    preferences.set_message_enabled(customer, "abandoned_cart", False)
    preferences.set_message_enabled(customer, "abandoned_cart", True)
    assert scan(kinds=["abandoned_cart"]).fired == 1


def test_erasure_deletes_the_preferences() -> None:
    preferences.set_category_muted(SHOPPER, "chairs", True)
    report = erase(visitor_id=SHOPPER.visitor_id)
    assert ShopperPreference.objects.count() == 0
    assert report["personalization_plugin.privacy.preferences.erase_preferences"] == 1
    assert _categories("for_you", SHOPPER) == {"chairs", "tables"}


def test_the_export_includes_the_preferences() -> None:
    preferences.set_category_muted(SHOPPER, "chairs", True)
    exported = export_subject(visitor_id=SHOPPER.visitor_id)
    assert exported["preferences"][0]["muted_categories"] == ["chairs"]
