"""Two customers, one browser: nothing one of them did reaches the other.

End to end with Django's test client on the demo store: real login and logout views,
the search page's signal, the intake's identity, export and forget-me.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from personalization_plugin.models import Event
from personalization_plugin.tracking.backends import get_backend

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo_store(settings: Any) -> None:
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "ADAPTER": "shop.adapter.ShopAdapter"}


@pytest.fixture
def customers(django_user_model: Any) -> tuple[Any, Any]:
    return (
        django_user_model.objects.create_user("ada", password="pw-ada-123"),
        django_user_model.objects.create_user("bob", password="pw-bob-123"),
    )


def sign_in(browser: Client, username: str) -> None:
    response = browser.post(
        "/accounts/login/", {"username": username, "password": f"pw-{username}-123"}
    )
    assert response.status_code == 302, "the demo's login view should accept the test user"


def search(browser: Client, query: str) -> None:
    assert browser.get("/search/", {"q": query}).status_code == 200
    get_backend().flush()  # as the timed flush does within FLUSH_INTERVAL


def exported_queries(browser: Client) -> set[str]:
    get_backend().flush()
    data = json.loads(browser.get("/personalization/my-data/").content)
    return {e["query"] for e in data["events"] if e["type"] == "search"}


def stored_queries() -> set[str]:
    get_backend().flush()
    return set(Event.objects.filter(type="search").values_list("query", flat=True))


def share_one_browser(customers: tuple[Any, Any], browser: Client | None = None) -> Client:
    """A signs in, searches, signs out; B signs in on the same browser and searches."""
    browser = browser or Client()
    search(browser, "anonymous before ada")
    sign_in(browser, "ada")
    search(browser, "ada private search")
    browser.post("/accounts/logout/")
    search(browser, "anonymous before bob")
    sign_in(browser, "bob")
    search(browser, "bob private search")
    return browser


def test_logout_rotates_the_visitor_cookie(customers) -> None:
    browser = Client()
    search(browser, "lamp")
    sign_in(browser, "ada")
    before = browser.cookies["sp_vid"].value
    response = browser.post("/accounts/logout/")
    after = response.cookies["sp_vid"]
    assert after.value and after.value != before


def test_logout_drops_the_cookie_when_the_next_visitor_may_not_be_tracked(
    customers, settings
) -> None:
    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "CONSENT_MODE": "required"}
    browser = Client()
    browser.post("/personalization/consent/", {"consent": "granted"})
    sign_in(browser, "ada")
    browser.cookies.pop("sp_consent")  # the next person has not said yes
    response = browser.post("/accounts/logout/")
    assert response.cookies["sp_vid"].value == ""  # deleted, not kept


def test_a_customers_export_lacks_the_next_customers_searches(customers) -> None:
    browser = share_one_browser(customers)
    bob_sees = exported_queries(browser)
    browser.post("/accounts/logout/")
    sign_in(browser, "ada")
    ada_sees = exported_queries(browser)
    assert "ada private search" in ada_sees
    assert not ada_sees & {"bob private search", "anonymous before bob"}
    assert bob_sees >= {"bob private search", "anonymous before bob"}
    assert not bob_sees & {"ada private search", "anonymous before ada"}


def test_a_customers_forget_me_leaves_the_next_customers_events(customers) -> None:
    browser = share_one_browser(customers)
    browser.post("/accounts/logout/")
    sign_in(browser, "ada")
    assert browser.post("/personalization/forget-me/").status_code in (200, 302)
    left = stored_queries()
    assert not left & {"ada private search", "anonymous before ada"}
    assert {"bob private search", "anonymous before bob"} <= left


def test_a_login_on_another_customers_visitor_id_rotates_it_and_takes_only_what_came_after(
    customers,
) -> None:
    """A browser shared before ids were rotated (an old cookie, or a session that simply
    expired without a logout): B's login on A's visitor id takes only what was recorded
    after A's last event, and B continues under a new visitor id."""
    from personalization_plugin import track
    from personalization_plugin.tracking.identity import sign_visitor_id

    ada, bob = (str(u.pk) for u in customers)
    shared = "5" * 32
    track("search", visitor_id=shared, query="before ada")
    get_backend().flush()
    track("search", visitor_id=shared, customer_id=ada, query="ada private search")
    get_backend().flush()
    track("search", visitor_id=shared, query="after ada left")
    get_backend().flush()
    browser = Client()
    browser.cookies["sp_vid"] = sign_visitor_id(shared)
    sign_in(browser, "bob")
    assert browser.cookies["sp_vid"].value != sign_visitor_id(shared)  # rotated
    search(browser, "bob private search")
    owners = dict(Event.objects.filter(type="search").values_list("query", "customer_id"))
    assert owners["ada private search"] == ada
    assert owners["before ada"] == ""  # recorded before ada: not bob's
    assert owners["after ada left"] == bob and owners["bob private search"] == bob


def test_a_customers_erasure_keeps_the_other_customers_events_without_the_shared_visitor_id(
    customers,
) -> None:
    from personalization_plugin import track
    from personalization_plugin.privacy.erasure import erase

    ada, bob = (str(u.pk) for u in customers)
    shared = "6" * 32
    track("search", visitor_id=shared, customer_id=ada, query="ada private search")
    track("search", visitor_id=shared, customer_id=bob, query="bob private search")
    get_backend().flush()
    erase(customer_id=ada)
    [(query, customer, visitor)] = Event.objects.values_list("query", "customer_id", "visitor_id")
    assert (query, customer) == ("bob private search", bob)
    assert visitor != shared and len(visitor) == 32  # a fresh pseudonym, not the erased id
