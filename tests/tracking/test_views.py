"""The intake endpoint: token, consent, 50-event cap, purchases refused, rate limit."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from personalization_plugin.models import Event
from personalization_plugin.tracking.backends import get_backend
from personalization_plugin.tracking.identity import sign_visitor_id
from personalization_plugin.tracking.tokens import check_intake_token, intake_token

pytestmark = pytest.mark.django_db
VISITOR = "d" * 32


@pytest.fixture
def client() -> Client:
    client = Client()
    client.cookies["sp_vid"] = sign_visitor_id(VISITOR)
    return client


def post(client: Client, events: list, token: str | None = None, content_type: str = "text/plain"):
    body = {"events": events}
    if token is not None:
        body["token"] = token
    return client.post(
        reverse("personalization:events"), json.dumps(body), content_type=content_type
    )


def impression(product: str = "1", position: int = 1) -> dict:
    return {
        "type": "impression",
        "product_id": product,
        "placement": "for_you",
        "model_version": "v1",
        "position": position,
        "recommendation_id": "r" * 32,
    }


def test_token_is_bound_to_the_visitor() -> None:
    assert check_intake_token(VISITOR, intake_token(VISITOR))
    assert not check_intake_token("e" * 32, intake_token(VISITOR))


def test_beacon_events_are_accepted_and_stored(client) -> None:
    response = post(client, [impression("1", 1), impression("2", 2)], intake_token(VISITOR))
    assert response.status_code == 202
    assert response.json() == {"accepted": 2, "rejected": 0, "errors": [], "tracking": True}
    get_backend().flush()
    row = Event.objects.get(product_id="2")
    assert (row.type, row.placement, row.position, row.visitor_id) == (
        "impression",
        "for_you",
        2,
        VISITOR,
    )
    assert row.payload["recommendation_id"] == "r" * 32


def test_json_content_type_works_too(client) -> None:
    response = post(client, [impression()], intake_token(VISITOR), content_type="application/json")
    assert response.status_code == 202


def test_missing_token_is_forbidden_with_a_json_message(client) -> None:
    response = post(client, [impression()])
    assert response.status_code == 403
    assert "intake token" in response.json()["error"]
    assert get_backend().pending() == 0


def test_token_of_another_visitor_is_forbidden(client) -> None:
    assert post(client, [impression()], intake_token("e" * 32)).status_code == 403


def test_request_without_visitor_cookie_is_forbidden() -> None:
    assert post(Client(), [impression()], intake_token(VISITOR)).status_code == 403


def test_more_than_fifty_events_are_refused(client) -> None:
    response = post(client, [impression()] * 51, intake_token(VISITOR))
    assert response.status_code == 413
    assert "at most 50" in response.json()["error"]
    assert get_backend().pending() == 0


def test_purchases_from_the_browser_are_rejected_per_event(client) -> None:
    purchase = {"type": "purchase", "product_id": "1", "order_id": "x"}
    response = post(client, [purchase, impression()], intake_token(VISITOR))
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (1, 1)
    assert body["errors"][0]["index"] == 0
    assert "not accepted from a storefront" in body["errors"][0]["error"]


def test_unknown_product_is_reported_per_event(client) -> None:
    body = post(client, [impression("404")], intake_token(VISITOR)).json()
    assert body["rejected"] == 1 and "Unknown product" in body["errors"][0]["error"]


def test_malformed_body_is_a_400(client) -> None:
    response = client.post(reverse("personalization:events"), "not json", content_type="text/plain")
    assert response.status_code == 400
    assert "JSON" in response.json()["error"]


def test_get_is_not_allowed(client) -> None:
    assert client.get(reverse("personalization:events")).status_code == 405


def test_rate_limit_per_visitor_answers_429(client, personalization) -> None:
    personalization(RATE_LIMIT_PER_MINUTE=5)
    token = intake_token(VISITOR)
    assert post(client, [impression()] * 5, token).status_code == 202
    response = post(client, [impression()], token)
    assert response.status_code == 429
    assert "Rate limit of 5 events per minute" in response.json()["error"]


def test_rate_limit_per_ip_covers_many_visitors(personalization) -> None:
    personalization(RATE_LIMIT_PER_MINUTE=3)
    statuses = []
    for n in range(3):
        visitor = f"{n}" * 32
        client = Client(REMOTE_ADDR="10.0.0.9")
        client.cookies["sp_vid"] = sign_visitor_id(visitor)
        statuses.append(post(client, [impression()] * 2, intake_token(visitor)).status_code)
    assert statuses == [202, 429, 429]


def test_rate_limit_is_shared_through_redis(client, personalization, use_redis) -> None:
    personalization(RATE_LIMIT_PER_MINUTE=2)
    assert post(client, [impression()] * 2, intake_token(VISITOR)).status_code == 202
    assert post(client, [impression()], intake_token(VISITOR)).status_code == 429
    assert any(b":rl:" in k for k in use_redis.scan_iter("*"))


def test_without_consent_nothing_is_stored_and_no_error(client, personalization) -> None:
    personalization(CONSENT_MODE="required")
    response = post(client, [impression()], intake_token(VISITOR))
    assert response.status_code == 202
    assert response.json()["tracking"] is False
    assert get_backend().pending() == 0


def test_first_visit_cookie_then_beacon_through_the_middleware_stack() -> None:
    from personalization_plugin.tracking.identity import unsign_visitor_id

    client = Client()
    page = client.get(reverse("personalization:my_data"))  # any page: the middleware issues the id
    visitor = unsign_visitor_id(page.cookies["sp_vid"].value)
    response = post(client, [impression()], intake_token(visitor))
    assert response.status_code == 202 and response.json()["accepted"] == 1
    get_backend().flush()
    assert Event.objects.get().visitor_id == visitor


def test_oversized_body_is_refused(client) -> None:
    huge = [{"type": "search", "query": "x" * 10_000}] * 30
    response = post(client, huge, intake_token(VISITOR))
    assert response.status_code == 413
    assert "larger than" in response.json()["error"]
