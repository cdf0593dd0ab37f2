"""Visitor identity: the signed cookie, consent-aware cookie issuing, customers, merge on login."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.auth.signals import user_logged_in
from django.http import HttpResponse

from personalization_plugin import signals, track
from personalization_plugin.core.exceptions import ForgedVisitorId
from personalization_plugin.models import Event
from personalization_plugin.tracking.backends import get_backend
from personalization_plugin.tracking.identity import (
    Visitor,
    customer_id_for,
    get_visitor,
    sign_visitor_id,
    unsign_visitor_id,
)
from personalization_plugin.tracking.middleware import VisitorMiddleware
from personalization_plugin.tracking.realtime import get_realtime


def run_middleware(request, response: HttpResponse | None = None) -> HttpResponse:
    middleware = VisitorMiddleware(lambda req: response or HttpResponse("ok"))
    return middleware(request)


def test_visitor_has_usable_defaults() -> None:
    visitor = Visitor(visitor_id="abc")
    assert (visitor.customer_id, visitor.consent, visitor.gpc) == ("", "unknown", False)
    assert visitor.subject == "v:abc"
    assert visitor.can_track and visitor.can_personalize


def test_customer_subject_wins_over_visitor() -> None:
    assert Visitor(visitor_id="abc", customer_id="7").subject == "c:7"


def test_new_visitor_ids_are_random_128_bit_hex() -> None:
    first, second = Visitor().visitor_id, Visitor().visitor_id
    assert len(first) == 32 and int(first, 16) >= 0 and first != second


def test_signed_cookie_round_trips() -> None:
    assert unsign_visitor_id(sign_visitor_id("abc")) == "abc"


def test_edited_cookie_is_forged() -> None:
    value = sign_visitor_id("abc").replace("abc", "abd")
    with pytest.raises(ForgedVisitorId):
        unsign_visitor_id(value)


def test_middleware_issues_a_hardened_cookie(rf) -> None:
    request = rf.get("/")
    request.user = AnonymousUser()
    response = run_middleware(request)
    cookie = response.cookies["sp_vid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["secure"]
    assert unsign_visitor_id(cookie.value) == request.visitor.visitor_id


def test_cookie_is_secure_on_https(rf) -> None:
    request = rf.get("/", secure=True)
    response = run_middleware(request)
    assert response.cookies["sp_vid"]["secure"]


def test_returning_visitor_keeps_the_id_and_gets_no_new_cookie(visitor_request) -> None:
    request = visitor_request("f" * 32)
    response = run_middleware(request)
    assert request.visitor.visitor_id == "f" * 32
    assert "sp_vid" not in response.cookies


def test_forged_cookie_gets_a_fresh_id_and_a_warning_without_its_value(rf, caplog) -> None:
    request = rf.get("/")
    request.COOKIES["sp_vid"] = "attacker-chosen-id:forgedsignature"
    with caplog.at_level(logging.WARNING, logger="personalization_plugin"):
        response = run_middleware(request)
    assert request.visitor.visitor_id != "attacker-chosen-id"
    assert "bad signature" in caplog.text
    assert "attacker-chosen-id" not in caplog.text and "forgedsignature" not in caplog.text
    assert unsign_visitor_id(response.cookies["sp_vid"].value) == request.visitor.visitor_id


def test_required_consent_sets_no_cookie_before_consent(rf, personalization) -> None:
    personalization(CONSENT_MODE="required")
    request = rf.get("/")
    response = run_middleware(request)
    assert "sp_vid" not in response.cookies
    assert not request.visitor.can_track


def test_gpc_header_is_an_opt_out(rf) -> None:
    request = rf.get("/", HTTP_SEC_GPC="1")
    response = run_middleware(request)
    assert request.visitor.gpc and not request.visitor.can_track
    assert "sp_vid" not in response.cookies


def test_gpc_is_ignored_when_not_honoured(rf, personalization) -> None:
    personalization(HONOR_GPC=False)
    request = rf.get("/", HTTP_SEC_GPC="1")
    run_middleware(request)
    assert request.visitor.can_track


def test_explicit_grant_overrides_gpc(visitor_request) -> None:
    request = visitor_request(HTTP_SEC_GPC="1")
    request.COOKIES["sp_consent"] = "granted"
    assert get_visitor(request).can_track


def test_opt_out_cookie_stops_tracking_and_personalization(visitor_request) -> None:
    request = visitor_request()
    request.COOKIES["sp_consent"] = "denied"
    visitor = get_visitor(request)
    assert not visitor.can_track and not visitor.can_personalize


def test_get_visitor_works_without_the_middleware(visitor_request) -> None:
    request = visitor_request("b" * 32)
    assert get_visitor(request).visitor_id == "b" * 32
    assert get_visitor(request) is get_visitor(request)


@pytest.mark.django_db
def test_customer_id_defaults_to_the_user_pk() -> None:
    user = User.objects.create_user("ann")
    assert customer_id_for(user) == str(user.pk)
    assert customer_id_for(AnonymousUser()) == ""


@pytest.mark.django_db
def test_adapter_may_map_users_to_customer_ids(personalization) -> None:
    personalization(ADAPTER="tests.tracking.adapter.CustomerIdAdapter")
    assert customer_id_for(User.objects.create_user("ann")) == "cust-ann"


@pytest.mark.django_db
def test_login_merges_anonymous_history_into_the_customer(visitor_request) -> None:
    user = User.objects.create_user("ann")
    request = visitor_request("c" * 32)
    request.user = AnonymousUser()
    run_middleware(request)
    track("view", request=request, product_id="1")
    get_backend().flush()
    track("cart_add", request=request, product_id="2")  # still buffered at login
    merged: list[dict] = []

    def on_merge(sender, **kwargs):
        merged.append(kwargs)

    signals.visitor_merged.connect(on_merge)
    try:
        request.user = user
        user_logged_in.send(sender=User, request=request, user=user)
    finally:
        signals.visitor_merged.disconnect(on_merge)
    get_backend().flush()
    customer = str(user.pk)
    assert set(Event.objects.values_list("customer_id", flat=True)) == {customer}
    assert get_realtime().recently_viewed(f"c:{customer}") == ["1"]
    assert get_realtime().cart(f"c:{customer}") == ["2"]
    assert get_realtime().recently_viewed("v:" + "c" * 32) == []
    assert merged == [
        {"signal": signals.visitor_merged, "visitor_id": "c" * 32, "customer_id": customer}
    ]
    assert request.visitor.customer_id == customer
