"""The privacy center lists the shopper's segments with the rules that put them there."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from personalization_plugin.segments.explain import describe_rule, memberships
from personalization_plugin.segments.models import Segment
from personalization_plugin.tracking.identity import sign_visitor_id
from tests.segments.conftest import reset_segment_state

pytestmark = pytest.mark.django_db
VISITOR = "9" * 32
RULES = {"any": [{"rule": "signed_in", "value": False}, {"rule": "loyal", "min_orders": 3}]}


@pytest.fixture(autouse=True)
def guests() -> Segment:
    reset_segment_state()
    yield Segment.objects.create(
        name="Guests", slug="guests", description="Shopping without an account.", rules=RULES
    )
    reset_segment_state()


def _request(rf):
    request = rf.get("/privacy/")
    request.COOKIES["sp_vid"] = sign_visitor_id(VISITOR)
    return request


def test_a_segment_comes_with_the_rules_the_shopper_meets(rf) -> None:
    (guests,) = [m for m in memberships(_request(rf)) if m.slug == "guests"]
    assert guests.description == "Shopping without an account."
    assert guests.reasons == [describe_rule("signed_in", {"value": False})]


def test_a_rule_is_told_by_its_label_and_parameters() -> None:
    with translation.override("en"):
        assert describe_rule("loyal", {"min_orders": 3}) == "At least N orders (min orders: 3)"


def test_the_page_shows_the_segment_and_why() -> None:
    client = Client()
    client.cookies["sp_vid"] = sign_visitor_id(VISITOR)
    html = client.get("/privacy/").content.decode()
    assert "<strong>Guests</strong>: Shopping without an account." in html
    assert "Because: Signed in (or, with value false, not) (value: False)" in html


def test_an_opted_out_shopper_is_shown_no_segments() -> None:
    client = Client()
    client.cookies["sp_vid"] = sign_visitor_id(VISITOR)
    client.cookies["sp_consent"] = "denied"
    assert "Guests" not in client.get("/privacy/").content.decode()
