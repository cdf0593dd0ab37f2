"""GraphQL's trackEvent goes through the browser endpoint's intake: the same intake token,
the same per-visitor limit (shared with POST /personalization/events/), the same
validation, the same screening."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from personalization_plugin.models import Event
from personalization_plugin.tracking.backends import get_backend
from personalization_plugin.tracking.identity import sign_visitor_id
from personalization_plugin.tracking.tokens import intake_token

VID = "9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a9a"
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0.0.0 Safari/537.36"
TRACK = """mutation($input: TrackEventInput!) {
  trackEvent(input: $input) { recorded eventId errors { field message code } } }"""


def shopper(visitor_id: str = VID) -> Client:
    client = Client(REMOTE_ADDR="127.0.0.7", HTTP_USER_AGENT=CHROME)
    client.cookies["sp_vid"] = sign_visitor_id(visitor_id)
    return client


def graphql(client: Client, query: str, **variables: Any) -> dict[str, Any]:
    body = json.dumps({"query": query, "variables": variables})
    response = client.post("/graphql/", data=body, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()["data"]


def track_view(client: Client, product: Any, token: str | None = None, **extra: Any) -> Any:
    event = {"type": "VIEW", "productId": str(product.pk), **extra}
    if token is not None:
        event["token"] = token
    return graphql(client, TRACK, input=event)["trackEvent"]


def stored() -> int:
    get_backend().flush()
    return Event.objects.filter(visitor_id=VID).count()


@pytest.mark.django_db
def test_track_event_past_the_limit_answers_rate_limited(
    catalog: list[Any], personalization: Any
) -> None:
    personalization(RATE_LIMIT_PER_MINUTE=20)
    client, token = shopper(), intake_token(VID)
    results = [track_view(client, catalog[n % 12], token) for n in range(30)]
    assert [r["recorded"] for r in results] == [True] * 20 + [False] * 10
    assert {e["code"] for r in results[20:] for e in r["errors"]} == {"RATE_LIMITED"}
    assert stored() == 20


@pytest.mark.django_db
def test_track_event_and_the_http_intake_share_one_limit(
    catalog: list[Any], personalization: Any
) -> None:
    personalization(RATE_LIMIT_PER_MINUTE=20)
    client, token = shopper(), intake_token(VID)
    events = [{"type": "view", "product_id": str(p.pk)} for p in catalog] + [
        {"type": "view", "product_id": str(catalog[0].pk)}
    ] * 3
    body = json.dumps({"token": token, "events": events})  # 15 events
    response = client.post("/personalization/events/", data=body, content_type="text/plain")
    assert response.json()["accepted"] == 15
    results = [track_view(client, catalog[0], token) for _ in range(8)]
    assert [r["recorded"] for r in results] == [True] * 5 + [False] * 3
    assert results[-1]["errors"][0]["code"] == "RATE_LIMITED"


@pytest.mark.django_db
def test_track_event_without_the_intake_token_is_not_allowed(catalog: list[Any]) -> None:
    result = track_view(shopper(), catalog[0])
    assert result["recorded"] is False
    assert result["errors"][0]["code"] == "NOT_ALLOWED"
    assert "intake token" in result["errors"][0]["message"]
    assert stored() == 0


@pytest.mark.django_db
def test_track_event_with_another_visitors_token_is_not_allowed(catalog: list[Any]) -> None:
    result = track_view(shopper(), catalog[0], intake_token("someone-else"))
    assert result["errors"][0]["code"] == "NOT_ALLOWED"
    assert stored() == 0


@pytest.mark.django_db
def test_the_intake_token_query_lets_a_headless_client_track(catalog: list[Any]) -> None:
    client = Client(HTTP_USER_AGENT=CHROME)  # a first visit: no cookie yet
    token = graphql(client, "{ intakeToken }")["intakeToken"]
    assert client.cookies.get("sp_vid") is not None  # the cookie the token belongs to
    result = track_view(client, catalog[0], token)
    assert result["recorded"] is True and result["errors"] == []


@pytest.mark.django_db
def test_track_event_refuses_an_unpaired_surrogate_naming_the_field(catalog: list[Any]) -> None:
    client = shopper()
    event = {"type": "SEARCH", "query": "lamp \ud800", "token": intake_token(VID)}
    result = graphql(client, TRACK, input=event)["trackEvent"]
    assert result["recorded"] is False
    (error,) = result["errors"]
    assert (error["code"], error["field"]) == ("INVALID", "query")
    assert "surrogate" in error["message"]
    assert stored() == 0


@pytest.mark.django_db
def test_track_event_from_a_crawler_is_dropped(catalog: list[Any]) -> None:
    client = Client(HTTP_USER_AGENT="Mozilla/5.0 (compatible; Googlebot/2.1)")
    client.cookies["sp_vid"] = sign_visitor_id(VID)
    result = track_view(client, catalog[0], intake_token(VID))
    assert result["recorded"] is False and result["errors"][0]["code"] == "NOT_ALLOWED"
    assert stored() == 0
