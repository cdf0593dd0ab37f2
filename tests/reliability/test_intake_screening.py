"""Traffic the intake must not store: replays of a forgotten visitor's cookie and token,
and crawlers or headless browsers. Each is dropped at intake (nothing stored, not even
buffered) and counted where the owner sees it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from personalization_plugin import track
from personalization_plugin.models import DroppedEventCount, ErasedShopper, Event
from personalization_plugin.tracking import drops, screening
from personalization_plugin.tracking.backends import base, get_backend
from personalization_plugin.tracking.identity import sign_visitor_id
from personalization_plugin.tracking.tokens import intake_token

VID = "0ddba110ddba110ddba110ddba110dd0"
CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
CRAWLERS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
]


@pytest.fixture(autouse=True)
def fresh_screening() -> Any:
    screening.forget_cached()
    yield
    screening.forget_cached()


def shopper(visitor_id: str = VID, user_agent: str = CHROME) -> Client:
    client = Client(REMOTE_ADDR="127.0.0.9", HTTP_USER_AGENT=user_agent)
    client.cookies["sp_vid"] = sign_visitor_id(visitor_id)
    return client


def views(catalog: list[Any], n: int = 3) -> list[dict[str, Any]]:
    return [{"type": "view", "product_id": str(p.pk)} for p in catalog[:n]]


def post(client: Client, events: list[dict[str, Any]], visitor_id: str = VID) -> Any:
    body = json.dumps({"token": intake_token(visitor_id), "events": events})
    return client.post("/personalization/events/", data=body, content_type="text/plain")


def stored(visitor_id: str = VID) -> int:
    get_backend().flush()
    return Event.objects.filter(visitor_id=visitor_id).count()


@pytest.mark.django_db
def test_a_forgotten_visitor_id_replayed_through_the_intake_stores_nothing(
    catalog: list[Any],
) -> None:
    browser = shopper()
    assert post(browser, views(catalog)).json()["accepted"] == 3
    assert stored() == 3
    assert (
        browser.post("/personalization/forget-me/", HTTP_ACCEPT="application/json").status_code
        == 200
    )
    assert stored() == 0
    # The old tab (or an attacker) replays the erased cookie and its token.
    replay = post(shopper(), views(catalog, 4))
    assert replay.status_code == 202
    assert replay.json()["tracking"] is False and replay.json()["accepted"] == 0
    assert stored() == 0
    assert drops.totals()[drops.ERASED] == 4


@pytest.mark.django_db
def test_a_forgotten_visitor_id_stays_forgotten_after_the_hour_long_ledger_expires(
    catalog: list[Any],
) -> None:
    shopper().post("/personalization/forget-me/", HTTP_ACCEPT="application/json")
    assert ErasedShopper.objects.exists()
    base.ledger.clear()  # as in another process, or after ERASED_TTL_SECONDS
    screening.forget_cached()
    post(shopper(), views(catalog))
    assert stored() == 0  # the permanent erasure record still answers


@pytest.mark.django_db
def test_server_side_tracking_of_a_replayed_erased_cookie_is_dropped(
    catalog: list[Any], rf: Any
) -> None:
    shopper().post("/personalization/forget-me/", HTTP_ACCEPT="application/json")
    request = rf.get("/", HTTP_USER_AGENT=CHROME)
    request.COOKIES["sp_vid"] = sign_visitor_id(VID)
    assert track("view", request=request, product_id=str(catalog[0].pk)) is None
    assert stored() == 0


@pytest.mark.django_db
def test_the_erased_check_is_one_query_per_visitor_then_cached(catalog: list[Any]) -> None:
    browser = shopper("5" * 32)
    post(browser, views(catalog))  # warms the product cache
    screening.forget_cached()
    with CaptureQueriesContext(connection) as first:
        assert post(browser, [*views(catalog)] * 10, "5" * 32).json()["accepted"] == 30
    with CaptureQueriesContext(connection) as second:
        assert post(browser, [*views(catalog)] * 10, "5" * 32).json()["accepted"] == 30
    table = ErasedShopper._meta.db_table

    def lookups(queries: CaptureQueriesContext) -> int:
        return sum(table in q["sql"] for q in queries.captured_queries)

    assert (lookups(first), lookups(second)) == (1, 0)


@pytest.mark.django_db
def test_a_new_visitor_after_forget_me_is_tracked_again(catalog: list[Any]) -> None:
    shopper().post("/personalization/forget-me/", HTTP_ACCEPT="application/json")
    other = "abcdef" * 5 + "01"
    assert post(shopper(other), views(catalog), other).json()["accepted"] == 3
    assert stored(other) == 3


@pytest.mark.django_db
@pytest.mark.parametrize("user_agent", CRAWLERS)
def test_crawlers_and_headless_browsers_are_dropped_at_intake(
    catalog: list[Any], user_agent: str
) -> None:
    response = post(shopper(user_agent=user_agent), views(catalog))
    assert response.status_code == 202
    assert response.json()["tracking"] is False
    assert stored() == 0
    assert drops.totals()[drops.BOT] == 3


@pytest.mark.django_db
def test_a_shoppers_browser_is_tracked(catalog: list[Any]) -> None:
    assert post(shopper(), views(catalog)).json()["accepted"] == 3
    assert stored() == 3
    assert drops.totals() == {}


@pytest.mark.django_db
def test_server_side_tracking_of_a_crawler_request_is_dropped(catalog: list[Any], rf: Any) -> None:
    request = rf.get("/", HTTP_USER_AGENT=CRAWLERS[0])
    request.COOKIES["sp_vid"] = sign_visitor_id(VID)
    assert track("view", request=request, product_id=str(catalog[0].pk)) is None
    assert stored() == 0
    assert drops.totals()[drops.BOT] == 1


@pytest.mark.django_db
def test_dropped_counts_reach_the_database_and_the_flush_output(
    catalog: list[Any], capsys: Any
) -> None:
    post(shopper(user_agent=CRAWLERS[0]), views(catalog))
    post(shopper(user_agent=CRAWLERS[2]), views(catalog, 2))
    call_command("personalization_flush")
    assert "Dropped at intake today: 5 bot." in capsys.readouterr().out
    assert DroppedEventCount.objects.get(reason=drops.BOT).count == 5
    assert not drops.pending()  # folded, not counted twice
    assert drops.totals()[drops.BOT] == 5


@pytest.mark.django_db
def test_dropped_counts_are_shared_through_redis(use_redis: Any, catalog: list[Any]) -> None:
    post(shopper(user_agent=CRAWLERS[1]), views(catalog))
    assert not drops.pending()  # counted in Redis, where every process sees it
    get_backend().flush()
    assert DroppedEventCount.objects.get(reason=drops.BOT).count == 3
    assert drops.totals()[drops.BOT] == 3


@pytest.fixture
def rf() -> Any:
    from django.test import RequestFactory

    return RequestFactory()
