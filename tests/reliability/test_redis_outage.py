"""Redis stops in the middle of tracking and serving: pages keep rendering, events are
kept in the in-process buffer and none is lost, and the plugin goes back to Redis by
itself once it answers again (no process restart)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from personalization_plugin.core import redis as connection
from personalization_plugin.core.redis import key
from personalization_plugin.models import Event, PrivacyChoice
from personalization_plugin.tracking.backends import get_backend, get_local_backend
from personalization_plugin.tracking.realtime import subject_key

from .helpers import Shopper

PAGES = (
    "/products/product-1/",
    "/c/cookware/",
    "/search/?q=bowl",
    "/cart/",
)


def partials(product: Any) -> list[str]:
    return [
        "/widgets/p/for_you/?limit=4",
        f"/widgets/p/similar/?product_id={product.pk}",
        f"/widgets/p/bought_together/?product_id={product.pk}",
        "/widgets/p/trending/?limit=4",
        "/widgets/p/recently_viewed/",
    ]


def impressions(catalog: list[Any], n: int) -> list[dict[str, Any]]:
    return [
        {
            "type": "impression",
            "product_id": str(catalog[i % len(catalog)].pk),
            "placement": "for_you",
            "position": i % 8 + 1,
        }
        for i in range(n)
    ]


@pytest.fixture
def quick_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retry Redis after 0.3 s instead of 5 s, so the test sees recovery quickly. One
    breaker serves tracking and the recommendation cache alike."""
    monkeypatch.setattr(connection, "RETRY_AFTER_SECONDS", 0.3)


def wait_for_retry() -> None:
    time.sleep(0.4)


def assert_store_renders(shopper: Shopper, catalog: list[Any]) -> None:
    for url in [*PAGES, *partials(catalog[0])]:
        response = shopper.client.get(url, HTTP_HX_REQUEST="true")
        assert response.status_code == 200, (url, response.status_code)


@pytest.mark.slow
def test_pages_and_partials_render_while_redis_is_down(
    own_redis: Any, catalog: list[Any], quick_retry: None
) -> None:
    shopper = Shopper()
    shopper.view(catalog[0])
    own_redis.kill()
    assert_store_renders(shopper, catalog)
    html = shopper.client.get("/widgets/p/trending/?limit=4", HTTP_HX_REQUEST="true")
    assert b"/products/" in html.content, "fallback recommendations are shown"


@pytest.mark.slow
def test_events_sent_during_an_outage_are_all_stored_after_recovery(
    own_redis: Any, catalog: list[Any], quick_retry: None
) -> None:
    shopper = Shopper()
    accepted = 0
    before = shopper.send(impressions(catalog, 10))
    accepted += before.json()["accepted"]
    assert own_redis.client().xlen(key("events")) >= 10, "events go to the Redis stream"
    get_backend().flush()  # the worker drained the stream before Redis died

    own_redis.kill()
    for _ in range(5):
        accepted += shopper.send(impressions(catalog, 7)).json()["accepted"]
    assert get_local_backend().pending() >= 35, "outage events wait in the local buffer"
    assert_store_renders(shopper, catalog)

    own_redis.start()  # same port, no process restart on our side
    wait_for_retry()
    accepted += shopper.send(impressions(catalog, 6)).json()["accepted"]
    assert own_redis.client().xlen(key("events")) == 6, "back on the Redis stream by itself"

    get_backend().flush()
    assert accepted == 10 + 35 + 6
    stored = Event.objects.filter(type="impression", visitor_id=shopper.visitor_id)
    assert stored.count() == accepted
    assert stored.values("event_id").distinct().count() == accepted
    assert get_backend().pending() == 0


@pytest.mark.slow
def test_serving_uses_redis_again_after_an_outage(
    own_redis: Any, catalog: list[Any], quick_retry: None
) -> None:
    shopper = Shopper()
    shopper.view(catalog[0])
    own_redis.kill()
    shopper.view(catalog[1])  # recorded in the in-process real-time store meanwhile
    assert shopper.client.get("/widgets/p/recently_viewed/").status_code == 200
    own_redis.start()
    wait_for_retry()
    shopper.view(catalog[2])
    state = subject_key("rv", f"v:{shopper.visitor_id}")
    keys = [k.decode() for k in own_redis.client().scan_iter(f"{key('')}*")]
    assert state in keys, "real-time state is written to Redis again"


@pytest.mark.slow
def test_forget_me_during_an_outage_says_retry_and_works_once_redis_is_back(
    own_redis: Any, catalog: list[Any], quick_retry: None
) -> None:
    from .audit import database_traces, needles_for, redis_traces

    shopper = Shopper()
    shopper.send(impressions(catalog, 5))
    own_redis.kill()
    response = shopper.client.post(
        "/personalization/forget-me/", "{}", content_type="application/json"
    )
    assert response.status_code == 503, response.status_code
    assert "try again" in response.json()["error"] and response["Retry-After"] == "60"
    assert PrivacyChoice.objects.filter(
        subject=f"v:{shopper.visitor_id}", consent="denied"
    ).exists()
    mydata = shopper.client.get("/personalization/my-data/")
    assert mydata.status_code == 503 and "try again" in mydata.json()["error"]

    own_redis.start()
    wait_for_retry()
    response = shopper.client.post(
        "/personalization/forget-me/", "{}", content_type="application/json"
    )
    assert response.status_code == 200, response.content[:300]
    get_backend().flush()
    needles = needles_for(shopper.visitor_id, shopper.visitor_id)
    assert redis_traces(own_redis.client(), needles) == []
    left = database_traces(needles, allow=lambda model, row: model is PrivacyChoice)
    assert left == [], left


@pytest.mark.slow
def test_a_hung_redis_costs_one_timeout_then_falls_back_and_loses_nothing(
    own_redis: Any, catalog: list[Any], quick_retry: None
) -> None:
    """A SIGSTOPped Redis accepts connections but never answers: the first request waits
    for the socket timeout, later ones skip Redis; an XADD that timed out on our side may
    still land once Redis resumes, and is then stored only once (unique event_id)."""
    from .conftest import pause, resume

    shopper = Shopper()
    accepted = shopper.send(impressions(catalog, 4)).json()["accepted"]
    get_backend().flush()
    pause(own_redis)
    try:
        started = time.monotonic()
        for _ in range(3):
            accepted += shopper.send(impressions(catalog, 4)).json()["accepted"]
            assert_store_renders(shopper, catalog)
        assert time.monotonic() - started < 30
    finally:
        resume(own_redis)
    wait_for_retry()
    accepted += shopper.send(impressions(catalog, 4)).json()["accepted"]
    get_backend().flush()
    stored = Event.objects.filter(type="impression", visitor_id=shopper.visitor_id)
    assert accepted == 20
    assert stored.count() == accepted
