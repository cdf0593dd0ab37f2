"""A warm partial is its cached fragment: one Redis round trip, no database query, and
never a stale list (a new event, a rule, an erasure each change or remove it)."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
import redis
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.tracking.api import track
from personalization_plugin.tracking.identity import Visitor, sign_visitor_id

HTMX = {"HTTP_HX_REQUEST": "true"}
VISITOR_ID = "f4a9c1d2e3b4a5c6d7e8f9a0b1c2d3e4"
RID = re.compile(r'data-sp-recommendation-id="([0-9a-f]*)"')


class CountingConnection(redis.Connection):
    """A real connection that counts the round trips it makes."""

    sent = 0

    def send_packed_command(self, command, check_health=True):  # type: ignore[no-untyped-def]
        CountingConnection.sent += 1
        return super().send_packed_command(command, check_health)


def shopper_client(visitor_id: str = VISITOR_ID) -> Client:
    client = Client()
    client.cookies[plugin_settings.VISITOR_COOKIE] = sign_visitor_id(visitor_id)
    return client


def viewed(product: Any, visitor_id: str = VISITOR_ID) -> None:
    track(
        "view",
        visitor=Visitor(visitor_id=visitor_id),
        product_id=str(product.pk),
        validate_products=False,
    )


def products_in(body: str) -> list[str]:
    return re.findall(r'data-sp-product="([^"]+)"', body)


def fragment_keys(client: redis.Redis) -> list[bytes]:
    return list(client.scan_iter(f"{plugin_settings.KEY_PREFIX}:*frag:*", count=1000))


@pytest.fixture
def counting(use_redis: redis.Redis) -> type[CountingConnection]:
    from personalization_plugin.core import redis as plugin_redis

    client = plugin_redis.get_redis()
    client.connection_pool.connection_class = CountingConnection
    client.connection_pool.reset()
    return CountingConnection


def test_a_warm_partial_makes_no_database_query_and_one_redis_round_trip(
    counting: type[CountingConnection], catalog: list
) -> None:
    viewed(catalog[0])
    viewed(catalog[1])
    client = shopper_client()
    url = "/widgets/p/recently_viewed/?limit=4"
    first = client.get(url, **HTMX).content.decode()
    assert products_in(first) == [str(catalog[1].pk), str(catalog[0].pk)]
    counting.sent = 0
    with CaptureQueriesContext(connection) as queries:
        warm = client.get(url, **HTMX)
    assert len(queries) == 0, [q["sql"] for q in queries]
    assert counting.sent == 1
    assert warm.status_code == 200
    assert products_in(warm.content.decode()) == products_in(first)


def test_the_cold_partial_costs_more_than_one_round_trip(
    counting: type[CountingConnection], catalog: list
) -> None:
    # The counter above could fail: an uncached partial reads state, lists and rules.
    viewed(catalog[0])
    counting.sent = 0
    shopper_client().get("/widgets/p/recently_viewed/?limit=4", **HTMX)
    assert counting.sent > 1


def test_a_new_view_renders_the_partial_afresh(use_redis: redis.Redis, catalog: list) -> None:
    viewed(catalog[0])
    client = shopper_client()
    url = "/widgets/p/recently_viewed/?limit=6"
    assert products_in(client.get(url, **HTMX).content.decode()) == [str(catalog[0].pk)]
    viewed(catalog[5])
    assert products_in(client.get(url, **HTMX).content.decode()) == [
        str(catalog[5].pk),
        str(catalog[0].pk),
    ]


def test_the_embedded_backend_caches_and_follows_the_state_too(catalog: list) -> None:
    assert not plugin_settings.REDIS_URL
    viewed(catalog[2])
    client = shopper_client()
    url = "/widgets/p/recently_viewed/?limit=6"
    assert products_in(client.get(url, **HTMX).content.decode()) == [str(catalog[2].pk)]
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url, **HTMX).content.decode()
    assert len(queries) == 0 and products_in(again) == [str(catalog[2].pk)]
    viewed(catalog[3])
    assert products_in(client.get(url, **HTMX).content.decode())[0] == str(catalog[3].pk)


def test_each_serve_carries_a_fresh_recommendation_id(
    use_redis: redis.Redis, catalog: list
) -> None:
    client = shopper_client()
    bodies = [client.get("/widgets/p/trending/?limit=3", **HTMX).content.decode() for _ in range(3)]
    ids = {match[1] for match in (RID.search(body) for body in bodies) if match}
    assert len(ids) == 3 and all(len(i) == 32 for i in ids)


def test_a_saved_rule_changes_the_cached_partial(use_redis: redis.Redis, catalog: list) -> None:
    from personalization_plugin.models import MerchandisingRule

    client = shopper_client()
    url = "/widgets/p/new_arrivals/?limit=3"
    before = products_in(client.get(url, **HTMX).content.decode())
    pinned = str(catalog[0].pk)  # the oldest product: not a new arrival by itself
    assert pinned not in before
    MerchandisingRule.objects.create(
        action="pin", target_type="product", target_id=pinned, placement="new_arrivals", position=1
    )
    assert products_in(client.get(url, **HTMX).content.decode())[0] == pinned


def test_other_parameters_are_another_fragment(use_redis: redis.Redis, catalog: list) -> None:
    client = shopper_client()
    three = products_in(client.get("/widgets/p/trending/?limit=3", **HTMX).content.decode())
    five = products_in(client.get("/widgets/p/trending/?limit=5", **HTMX).content.decode())
    assert len(three) == 3 and len(five) == 5
    excluded = products_in(
        client.get(f"/widgets/p/trending/?limit=3&exclude={three[0]}", **HTMX).content.decode()
    )
    assert three[0] not in excluded


def test_erasure_deletes_the_shoppers_fragments_and_keys_name_nobody(
    use_redis: redis.Redis, catalog: list
) -> None:
    from personalization_plugin.privacy.erasure import erase

    viewed(catalog[0])
    shopper_client().get("/widgets/p/recently_viewed/", **HTMX)
    mine = [k for k in fragment_keys(use_redis) if b":rec:" in k]
    assert mine
    for name in fragment_keys(use_redis):
        assert VISITOR_ID.encode() not in name
        assert VISITOR_ID.encode() not in (use_redis.get(name) or b"")
    erase(visitor_id=VISITOR_ID)
    assert [k for k in fragment_keys(use_redis) if b":rec:" in k] == []
    body = shopper_client().get("/widgets/p/recently_viewed/", **HTMX).content.decode()
    assert products_in(body) == []


def test_erasure_deletes_the_embedded_fragments(catalog: list) -> None:
    from personalization_plugin.privacy.erasure import erase
    from personalization_plugin.serving import fragments

    viewed(catalog[0])
    shopper_client().get("/widgets/p/recently_viewed/", **HTMX)
    subject = Visitor(visitor_id=VISITOR_ID).subject
    assert fragments.erase_subjects({subject}) == 1  # the eraser finds it
    shopper_client().get("/widgets/p/recently_viewed/", **HTMX)
    erase(visitor_id=VISITOR_ID)
    assert fragments.erase_subjects({subject}) == 0  # erase() already dropped it


def test_a_shopper_who_may_not_be_personalized_shares_the_anonymous_fragment(
    use_redis: redis.Redis, catalog: list
) -> None:
    for n, visitor_id in enumerate(("a" * 32, "b" * 32)):
        client = shopper_client(visitor_id)
        client.cookies[plugin_settings.CONSENT_COOKIE] = "denied"
        client.get("/widgets/p/trending/?limit=3", **HTMX)
        shared = [k for k in fragment_keys(use_redis) if b":frag:shared:" in k]
        assert len(shared) == 1, n
    assert [k for k in fragment_keys(use_redis) if b":rec:" in k] == []


def test_fragment_ttl_zero_turns_the_cache_off(
    use_redis: redis.Redis, personalization: Any, catalog: list
) -> None:
    personalization(FRAGMENT_TTL=0)
    plugin_settings.reload()
    shopper_client().get("/widgets/p/trending/?limit=3", **HTMX)
    assert fragment_keys(use_redis) == []


def test_concurrent_partials_each_get_the_whole_list(use_redis: redis.Redis, catalog: list) -> None:
    # Many requests at once read the fragment a first request stored (SQLite in memory
    # serves one thread at a time, so the render itself happens before the threads start).
    viewed(catalog[0])
    viewed(catalog[1])
    url = "/widgets/p/recently_viewed/?limit=5"
    shopper_client().get(url, **HTMX)
    results: list[list[str]] = []
    errors: list[BaseException] = []

    def fetch() -> None:
        try:
            for _ in range(5):
                body = shopper_client().get(url, **HTMX).content.decode()
                results.append(products_in(body))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=fetch) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(results) == 30 and all(r == results[0] for r in results) and len(results[0]) == 2


LOWER = "/widgets/p/trending/?limit=4&above=recently_viewed%3Flimit%3D2"


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The placements whose partial was rendered rather than answered from the cache
    (a spy on the view's real `recommend`)."""
    from storefront_widgets import views

    seen: list[str] = []
    real = views.recommend

    def spy(params: Any, request: Any, **kwargs: Any) -> Any:
        seen.append(params.placement)
        return real(params, request, **kwargs)

    monkeypatch.setattr(views, "recommend", spy)
    return seen


@pytest.mark.parametrize("backend", ["redis", "embedded"])
def test_a_lower_widget_is_answered_from_the_cache_while_the_lists_above_stay(
    backend: str, request: pytest.FixtureRequest, catalog: list, renders: list[str]
) -> None:
    if backend == "redis":
        request.getfixturevalue("use_redis")
    for product in catalog[:3]:
        viewed(product)
    client = shopper_client()
    first = products_in(client.get(LOWER, **HTMX).content.decode())
    again = products_in(client.get(LOWER, **HTMX).content.decode())
    assert first and again == first
    assert renders == ["trending"]  # the second one came from the cache
    shown_above = {str(p.pk) for p in catalog[1:3]}  # the two most recently viewed
    assert not shown_above & set(first)


@pytest.mark.parametrize("backend", ["redis", "embedded"])
def test_a_lower_widget_steps_around_a_list_above_that_changed(
    backend: str, request: pytest.FixtureRequest, catalog: list, renders: list[str]
) -> None:
    if backend == "redis":
        request.getfixturevalue("use_redis")
    viewed(catalog[0])
    client = shopper_client()
    before = products_in(client.get(LOWER, **HTMX).content.decode())
    newcomer = next(p for p in catalog if str(p.pk) in before)
    viewed(newcomer)  # now in recently viewed, above: the lower list must leave it out
    after = products_in(client.get(LOWER, **HTMX).content.decode())
    assert str(newcomer.pk) not in after
    assert renders == ["trending", "trending"]


def test_the_lists_above_are_computed_once_for_the_partials_below_them(
    use_redis: redis.Redis, catalog: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storefront_widgets import rendering

    asked: list[str] = []
    real = rendering._ask

    def spy(params: Any, request: Any) -> Any:
        asked.append(params.placement)
        return real(params, request)

    monkeypatch.setattr(rendering, "_ask", spy)
    for product in catalog[:3]:
        viewed(product)
    client = shopper_client()
    client.get(LOWER, **HTMX)
    assert asked == ["recently_viewed", "trending"]
    other = "/widgets/p/new_arrivals/?limit=4&above=recently_viewed%3Flimit%3D2"
    listed = products_in(client.get(other, **HTMX).content.decode())
    assert asked == ["recently_viewed", "trending", "new_arrivals"]  # the list above: cached
    assert not {str(p.pk) for p in catalog[1:3]} & set(listed)
    viewed(catalog[4])  # the shopper's state moved: the list above is computed afresh
    client.get(other, **HTMX)
    assert asked[3:] == ["recently_viewed", "new_arrivals"]
