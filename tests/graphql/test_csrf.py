"""CSRF on the GraphQL endpoint, against the live server: default deny. Only a JSON body
(which another site cannot send with the shopper's cookies) runs without Django's CSRF
token; a form, text/plain, application/graphql or no body at all needs the token, and GET
never runs a mutation. Forging `setConsent(granted: false)` would erase the shopper."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from django.test import Client

from personalization_plugin import track
from personalization_plugin.models import Event
from personalization_plugin.tracking.backends import get_backend
from personalization_plugin.tracking.identity import sign_visitor_id

VISITOR = "c5" * 16
OPT_OUT = "mutation { setConsent(granted: false) { consent } }"


@pytest.fixture
def shopper(catalog: list[Any]) -> requests.Session:
    """A browser with a visitor cookie and one stored event (what an opt-out erases)."""
    track("view", visitor_id=VISITOR, product_id=str(catalog[0].pk))
    get_backend().flush()
    assert Event.objects.filter(visitor_id=VISITOR).count() == 1
    browser = requests.Session()
    browser.cookies.set("sp_vid", sign_visitor_id(VISITOR))
    return browser


def assert_refused_and_nothing_erased(response: requests.Response) -> None:
    assert response.status_code == 403, (response.status_code, response.text[:300])
    assert "CSRF" in response.json()["errors"][0]["message"]
    assert "sp_consent" not in response.cookies
    assert Event.objects.filter(visitor_id=VISITOR).count() == 1, "the opt-out ran"


def test_a_bare_post_with_the_mutation_in_the_url_is_refused(
    endpoint: str, shopper: requests.Session
) -> None:
    response = shopper.post(f"{endpoint}?query={OPT_OUT}", timeout=20)
    assert "Content-Type" not in response.request.headers
    assert_refused_and_nothing_erased(response)


def test_a_post_with_no_content_type_at_all_is_refused(shopper: requests.Session) -> None:
    """The live server (wsgiref) files a missing Content-Type as text/plain; gunicorn and
    uWSGI pass it on empty, which the old check let through. The WSGI environ as they
    build it, through Django's own request handling with CSRF enforced."""
    browser = Client(enforce_csrf_checks=True)
    browser.cookies["sp_vid"] = sign_visitor_id(VISITOR)
    response = browser.generic("POST", f"/graphql/?query={OPT_OUT}", b"", content_type="")
    assert not response.wsgi_request.META.get("CONTENT_TYPE")
    assert response.status_code == 403, response.content[:300]
    assert "sp_consent" not in response.cookies
    assert Event.objects.filter(visitor_id=VISITOR).count() == 1, "the opt-out ran"


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/graphql", "application/octet-stream", "application/x-json"],
)
def test_a_post_of_any_other_content_type_without_a_token_is_refused(
    endpoint: str, shopper: requests.Session, content_type: str
) -> None:
    response = shopper.post(
        f"{endpoint}?query={OPT_OUT}",
        data=OPT_OUT.encode(),
        headers={"Content-Type": content_type},
        timeout=20,
    )
    assert_refused_and_nothing_erased(response)


def test_a_form_post_without_a_token_is_refused(endpoint: str, shopper: requests.Session) -> None:
    assert_refused_and_nothing_erased(shopper.post(endpoint, data={"query": OPT_OUT}, timeout=20))


def test_a_form_post_with_the_csrf_token_runs(endpoint: str, shopper: requests.Session) -> None:
    page = shopper.get(endpoint, headers={"Accept": "text/html"}, timeout=20)
    token = page.cookies.get("csrftoken") or shopper.cookies.get("csrftoken")
    assert token, "GraphiQL sets the CSRF cookie"
    response = shopper.post(
        endpoint, data={"query": OPT_OUT}, headers={"X-CSRFToken": token}, timeout=20
    )
    assert response.status_code == 200, response.text[:300]
    assert response.json()["data"]["setConsent"]["consent"] == "denied"


def test_a_json_post_runs_without_a_token(endpoint: str, shopper: requests.Session) -> None:
    response = shopper.post(endpoint, json={"query": OPT_OUT}, timeout=20)
    assert response.status_code == 200, response.text[:300]
    assert response.json()["data"]["setConsent"]["consent"] == "denied"
    assert Event.objects.filter(visitor_id=VISITOR).count() == 0


def test_get_never_runs_a_mutation(endpoint: str, shopper: requests.Session) -> None:
    response = shopper.get(
        endpoint, params={"query": OPT_OUT}, headers={"Accept": "application/json"}, timeout=20
    )
    assert response.status_code == 405
    assert Event.objects.filter(visitor_id=VISITOR).count() == 1


def test_a_json_query_still_needs_no_token(endpoint: str, shopper: Any) -> None:
    response = shopper.post(endpoint, json={"query": "{ __typename }"}, timeout=20)
    assert response.status_code == 200 and response.json()["data"]["__typename"] == "Query"
