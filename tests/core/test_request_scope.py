"""Shared facts are read once per request, never longer: the erasure generation and a
shopper's real-time state are memoised for one request (`core.request_scope`), a write
during the request is seen by the request's later reads, and the next request reads
afresh."""

from __future__ import annotations

import pytest
import redis
from django.test import Client

from personalization_plugin.core import request_scope
from personalization_plugin.core.redis import key
from personalization_plugin.serving import realtime as serving_realtime
from personalization_plugin.tracking import erasure_generation
from personalization_plugin.tracking.api import track
from personalization_plugin.tracking.identity import Visitor

SUBJECT = "v:" + "d" * 32


def view(product_id: str) -> None:
    track(
        "view",
        visitor=Visitor(visitor_id="d" * 32),
        product_id=product_id,
        validate_products=False,
    )


def test_outside_a_request_every_read_goes_to_the_source(use_redis: redis.Redis) -> None:
    before = erasure_generation.current()
    use_redis.incr(key(erasure_generation.NAME))  # another process erased someone
    assert erasure_generation.current() != before


def test_inside_a_request_the_generation_is_read_once(use_redis: redis.Redis) -> None:
    with request_scope.scope():
        first = erasure_generation.current()
        use_redis.incr(key(erasure_generation.NAME))
        assert erasure_generation.current() == first
    with request_scope.scope():  # the next request
        assert erasure_generation.current() != first


def test_an_erasure_during_the_request_is_seen_by_its_later_reads(
    use_redis: redis.Redis,
) -> None:
    with request_scope.scope():
        first = erasure_generation.current()
        erasure_generation.advance([])
        assert erasure_generation.current() != first


@pytest.mark.parametrize("backend", ["redis", "embedded"])
def test_a_tracked_event_is_seen_by_the_same_requests_later_reads(
    backend: str, request: pytest.FixtureRequest
) -> None:
    if backend == "redis":
        request.getfixturevalue("use_redis")
    else:
        from personalization_plugin.tracking.realtime import get_local_realtime

        get_local_realtime().clear()
    view("1")
    with request_scope.scope():
        assert serving_realtime.recent_items(SUBJECT) == ["1"]
        view("2")
        assert serving_realtime.recent_items(SUBJECT) == ["2", "1"]
        assert serving_realtime.recently_viewed(SUBJECT, 5) == ["2", "1"]


def test_an_event_from_elsewhere_reaches_the_next_request(use_redis: redis.Redis) -> None:
    view("1")
    with request_scope.scope():
        assert serving_realtime.recent_items(SUBJECT) == ["1"]
    view("3")  # another process, between two requests
    with request_scope.scope():
        assert serving_realtime.recent_items(SUBJECT) == ["3", "1"]


def test_callers_may_change_what_they_got(use_redis: redis.Redis) -> None:
    view("1")
    with request_scope.scope():
        serving_realtime.recent_items(SUBJECT).append("x")
        assert serving_realtime.recent_items(SUBJECT) == ["1"]


def test_the_middleware_opens_and_closes_a_scope_per_request(db: None) -> None:
    from django.urls import path

    seen: list[bool] = []

    def probe(request):  # type: ignore[no-untyped-def]
        from django.http import HttpResponse

        seen.append(request_scope._memo.get() is not None)
        return HttpResponse("ok")

    import sys
    import types

    from django.test import override_settings

    module = types.ModuleType("request_scope_urls")
    module.urlpatterns = [path("probe/", probe)]  # type: ignore[attr-defined]
    sys.modules["request_scope_urls"] = module
    with override_settings(ROOT_URLCONF="request_scope_urls"):
        assert Client().get("/probe/").status_code == 200
    assert seen == [True]
    assert request_scope._memo.get() is None
