"""One shopper can never read another shopper's recommendations, segments or data, on
any surface, by putting the other's visitor id in parameters, headers or a forged cookie.

Shopper B has a distinctive history (products 7-12). Shopper A (or a newcomer) tries
every surface with B's id; no answer may contain B's products as history, B's event
ids, or B's visitor id."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from personalization_plugin import track
from personalization_plugin.models import Event
from personalization_plugin.tracking.backends import get_backend
from personalization_plugin.tracking.identity import sign_visitor_id

B = "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0"
A = "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1"
B_PARAMS = f"visitor_id={B}&visitor={B}&subject=v:{B}&customer_id={B}&vid={B}&sp_vid={B}"


@pytest.fixture
def victim(catalog: list[Any]) -> list[str]:
    for product in catalog[6:]:
        track("view", visitor_id=B, product_id=str(product.pk))
    track("search", visitor_id=B, query="secret-search-of-b")
    get_backend().flush()
    return list(Event.objects.filter(visitor_id=B).values_list("event_id", flat=True))


def attackers() -> dict[str, Client]:
    signed_a = Client()
    signed_a.cookies["sp_vid"] = sign_visitor_id(A)
    forged = Client()
    forged.cookies["sp_vid"] = B  # unsigned: B's id without the server's signature
    forged_sig = Client()
    forged_sig.cookies["sp_vid"] = f"{B}:{sign_visitor_id(A).split(':', 1)[1]}"
    return {"signed A": signed_a, "unsigned B": forged, "A's signature on B": forged_sig}


def leaks(text: str, event_ids: list[str]) -> list[str]:
    found = [w for w in (B, "secret-search-of-b") if w in text]
    return found + [e for e in event_ids if e in text]


def test_my_data_view_never_shows_another_shoppers_data(victim: list[str]) -> None:
    for name, client in attackers().items():
        response = client.get(f"/personalization/my-data/?{B_PARAMS}", HTTP_X_VISITOR_ID=B)
        assert response.status_code == 200
        assert leaks(response.content.decode(), victim) == [], name


def test_graphql_my_data_and_segments_are_always_the_requesters(victim: list[str]) -> None:
    text = (
        "{ myData { visitorId customerId eventCount events { type productId query } } "
        "mySegments { slug name } "
        "recommendations(placement: RECENTLY_VIEWED) { items { productId reason } } }"
    )
    for name, client in attackers().items():
        response = client.post(
            f"/graphql/?{B_PARAMS}",
            json.dumps({"query": text, "variables": {"visitorId": B}}),
            content_type="application/json",
            HTTP_X_VISITOR_ID=B,
        )
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        assert "errors" not in body, body
        assert leaks(json.dumps(body), victim) == [], name
        assert body["data"]["recommendations"]["items"] == [], f"{name} sees B's history"


def test_widget_partials_ignore_another_shoppers_id(catalog: list[Any], victim: list[str]) -> None:
    b_titles = {p.title for p in catalog[6:]}
    for name, client in attackers().items():
        for placement in ("recently_viewed", "for_you"):
            response = client.get(f"/widgets/p/{placement}/?{B_PARAMS}", HTTP_HX_REQUEST="true")
            assert response.status_code in (200, 400), response.status_code
            html = response.content.decode()
            assert leaks(html, victim) == [], name
            if placement == "recently_viewed":
                assert not any(t in html for t in b_titles), f"{name} sees B's recently viewed"
            assert "Because you viewed" not in html, f"{name} gets reasons from B's history"


def test_a_forged_cookie_is_replaced_by_a_new_visitor(victim: list[str]) -> None:
    client = attackers()["unsigned B"]
    client.get("/search/?q=bowl")
    issued = client.cookies["sp_vid"].value
    assert not issued.startswith(B + ":"), "a forged id is never adopted and signed"


def test_forget_me_with_anothers_id_erases_only_the_requester(victim: list[str]) -> None:
    for name, client in attackers().items():
        response = client.post(
            f"/personalization/forget-me/?{B_PARAMS}",
            json.dumps({"visitor_id": B}),
            content_type="application/json",
        )
        assert response.status_code == 200, (name, response.status_code)
    assert Event.objects.filter(visitor_id=B).count() == len(victim), "B's data untouched"


def test_a_form_posted_graphql_mutation_needs_the_csrf_token(victim: list[str]) -> None:
    """Another site's form can post to /graphql/ with the shopper's cookies; without the
    CSRF token, `setConsent(granted: false)` (which erases the shopper) must not run."""
    client = Client(enforce_csrf_checks=True)
    client.cookies["sp_vid"] = sign_visitor_id(B)
    response = client.post(
        "/graphql/", {"query": "mutation { setConsent(granted: false) { consent } }"}
    )
    assert response.status_code == 403 and "CSRF" in response.json()["errors"][0]["message"]
    assert Event.objects.filter(visitor_id=B).count() == len(victim)


def test_a_json_graphql_mutation_from_the_storefront_still_works(victim: list[str]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.cookies["sp_vid"] = sign_visitor_id(B)
    body = json.dumps({"query": "mutation { setConsent(granted: true) { consent } }"})
    response = client.post("/graphql/", body, content_type="application/json")
    assert response.json()["data"]["setConsent"]["consent"] == "granted"


@pytest.mark.parametrize("path", ["/personalization/forget-me/", "/personalization/consent/"])
def test_privacy_endpoints_refuse_a_post_without_the_csrf_token(
    victim: list[str], path: str
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.cookies["sp_vid"] = sign_visitor_id(B)
    assert client.post(path, {"consent": "denied"}).status_code == 403
    assert Event.objects.filter(visitor_id=B).count() == len(victim)
