"""Consent: reading the choice, recording it, and what withdrawing it does."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from personalization_plugin import track
from personalization_plugin.models import Event, PrivacyChoice
from personalization_plugin.privacy.consent import consent_state, set_consent
from personalization_plugin.tracking.backends import get_backend
from personalization_plugin.tracking.identity import sign_visitor_id, unsign_visitor_id

pytestmark = pytest.mark.django_db
VISITOR = "1" * 32


def test_state_under_implied_consent(visitor_request) -> None:
    state = consent_state(visitor_request(VISITOR))
    assert state == {
        "consent": "unknown",
        "mode": "implied",
        "gpc": False,
        "can_track": True,
        "can_personalize": True,
        "ask": False,
    }


def test_required_mode_asks_and_does_not_track(visitor_request, personalization) -> None:
    personalization(CONSENT_MODE="required")
    state = consent_state(visitor_request(VISITOR))
    assert state["ask"] and not state["can_track"]


def test_gpc_is_reported_and_not_asked(rf, personalization) -> None:
    personalization(CONSENT_MODE="required")
    state = consent_state(rf.get("/", HTTP_SEC_GPC="1"))
    assert state["gpc"] and not state["ask"] and not state["can_track"]


def test_granting_sets_cookies_and_allows_tracking(rf, personalization) -> None:
    personalization(CONSENT_MODE="required")
    request = rf.get("/")
    response = HttpResponse()
    set_consent(request, response, True)
    assert response.cookies["sp_consent"].value == "granted"
    assert unsign_visitor_id(response.cookies["sp_vid"].value) == request.visitor.visitor_id
    assert request.visitor.can_track
    assert track("view", request=request, product_id="1") is not None


def test_choice_of_a_signed_in_customer_is_stored(visitor_request) -> None:
    user = User.objects.create_user("bo")
    request = visitor_request(VISITOR)
    request.user = user
    set_consent(request, HttpResponse(), True)
    assert PrivacyChoice.objects.get(subject=f"c:{user.pk}").consent == "granted"


def test_stored_customer_choice_follows_them_to_a_new_device(rf) -> None:
    user = User.objects.create_user("bo")
    PrivacyChoice.objects.create(subject=f"c:{user.pk}", consent="denied")
    request = rf.get("/")
    request.user = user
    assert consent_state(request)["consent"] == "denied"


def test_withdrawing_consent_erases_stored_data(visitor_request) -> None:
    request = visitor_request(VISITOR)
    track("view", request=request, product_id="1")
    get_backend().flush()
    track("view", request=request, product_id="2")  # still buffered
    response = HttpResponse()
    report = set_consent(request, response, False)
    assert report["events"] == 1 and report["buffered"] == 1
    get_backend().flush()
    assert Event.objects.count() == 0
    assert response.cookies["sp_vid"].value == ""  # deleted
    assert PrivacyChoice.objects.get(subject=f"v:{VISITOR}").consent == "denied"
    assert track("view", request=request, product_id="3") is None


def test_consent_view_form_post_redirects_back(personalization) -> None:
    client = Client(enforce_csrf_checks=False)
    response = client.post(
        reverse("personalization:consent"), {"consent": "granted", "next": "/cart/"}
    )
    assert response.status_code == 302 and response["Location"] == "/cart/"
    assert response.cookies["sp_consent"].value == "granted"


def test_consent_view_refuses_offsite_redirects() -> None:
    response = Client().post(
        reverse("personalization:consent"), {"consent": "denied", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_consent_view_json(personalization) -> None:
    client = Client()
    client.cookies["sp_vid"] = sign_visitor_id(VISITOR)
    response = client.post(
        reverse("personalization:consent"),
        json.dumps({"consent": "denied"}),
        content_type="application/json",
    )
    body = response.json()
    assert body["consent"] == "denied" and body["can_track"] is False
    assert "erased" in body


def test_consent_view_rejects_bad_values() -> None:
    response = Client().post(reverse("personalization:consent"), {"consent": "maybe"})
    assert response.status_code == 400
    assert 'consent="granted"' in response.json()["error"]


def test_consent_view_is_csrf_protected() -> None:
    client = Client(enforce_csrf_checks=True)
    assert (
        client.post(reverse("personalization:consent"), {"consent": "granted"}).status_code == 403
    )
