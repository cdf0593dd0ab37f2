"""VisitorMiddleware: a lazy visitor, built only when used, in sync and async stacks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync, iscoroutinefunction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import AsyncClient, Client

from personalization_plugin.tracking import middleware
from personalization_plugin.tracking.identity import Visitor, sign_visitor_id, unsign_visitor_id
from personalization_plugin.tracking.middleware import VisitorMiddleware

pytestmark = [pytest.mark.urls("tests.tracking.urls_async"), pytest.mark.django_db]

ASYNC_STACK = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "personalization_plugin.tracking.middleware.VisitorMiddleware",
]


@pytest.fixture
def constructions(monkeypatch: pytest.MonkeyPatch) -> list[Visitor]:
    """Every Visitor the middleware builds, in order (the real builder still runs)."""
    built: list[Visitor] = []
    real = middleware.visitor_from_request

    def counting(request: HttpRequest) -> Visitor:
        visitor = real(request)
        built.append(visitor)
        return visitor

    monkeypatch.setattr(middleware, "visitor_from_request", counting)
    return built


def async_get(client: AsyncClient, path: str) -> Any:
    """A request through Django's ASGI handler (no async test plugin needed)."""
    return async_to_sync(client.get)(path)


def run(view: Callable[[HttpRequest], HttpResponse], request: HttpRequest) -> HttpResponse:
    return VisitorMiddleware(view)(request)  # type: ignore[return-value]


def test_a_request_that_never_reads_the_visitor_does_not_build_it(
    rf: Any, constructions: list[Visitor]
) -> None:
    response = run(lambda r: JsonResponse({"ok": True}), rf.get("/static.json"))
    assert constructions == []
    assert "sp_vid" not in response.cookies


def test_the_visitor_is_built_once_however_often_it_is_read(
    rf: Any, constructions: list[Visitor]
) -> None:
    def view(request: HttpRequest) -> HttpResponse:
        ids = {request.visitor.visitor_id for _ in range(3)}  # type: ignore[attr-defined]
        return JsonResponse({"ids": sorted(ids)})

    run(view, rf.get("/"))
    assert len(constructions) == 1


def test_a_json_response_that_used_the_visitor_carries_its_new_cookie(rf: Any) -> None:
    request = rf.get("/api/")
    response = run(lambda r: JsonResponse({"id": r.visitor.visitor_id}), request)
    assert unsign_visitor_id(response.cookies["sp_vid"].value) == request.visitor.visitor_id


def test_an_html_page_mints_the_cookie_even_if_the_view_never_read_the_visitor(
    rf: Any, constructions: list[Visitor]
) -> None:
    response = run(lambda r: HttpResponse("<p>page</p>"), rf.get("/"))
    (visitor,) = constructions
    assert unsign_visitor_id(response.cookies["sp_vid"].value) == visitor.visitor_id


def test_a_returning_visitors_html_page_gets_no_cookie(visitor_request: Any) -> None:
    response = run(lambda r: HttpResponse("<p>page</p>"), visitor_request("b" * 32))
    assert "sp_vid" not in response.cookies


def test_a_visitor_replaced_by_the_view_is_the_one_the_cookie_is_for(rf: Any) -> None:
    replacement = Visitor(visitor_id="d" * 32, is_new=True)

    def view(request: HttpRequest) -> HttpResponse:
        request.visitor = replacement  # type: ignore[attr-defined]
        return JsonResponse({})

    response = run(view, rf.get("/"))
    assert unsign_visitor_id(response.cookies["sp_vid"].value) == "d" * 32


def test_the_middleware_is_a_coroutine_function_under_an_async_handler() -> None:
    async def get_response(request: HttpRequest) -> HttpResponse:
        return HttpResponse()

    assert iscoroutinefunction(VisitorMiddleware(get_response))
    assert not iscoroutinefunction(VisitorMiddleware(lambda r: HttpResponse()))


def test_an_async_view_gets_a_working_visitor(settings: Any) -> None:
    settings.MIDDLEWARE = ASYNC_STACK
    response = async_get(AsyncClient(), "/async/visitor/")
    body = response.json()
    assert len(body["visitor_id"]) == 32 and body["can_track"] is True
    assert unsign_visitor_id(response.cookies["sp_vid"].value) == body["visitor_id"]


def test_an_async_view_sees_the_returning_visitors_id(settings: Any) -> None:
    settings.MIDDLEWARE = ASYNC_STACK
    client = AsyncClient()
    client.cookies["sp_vid"] = sign_visitor_id("e" * 32)
    response = async_get(client, "/async/visitor/")
    assert response.json()["visitor_id"] == "e" * 32
    assert "sp_vid" not in response.cookies


def test_an_async_view_that_never_reads_the_visitor_does_not_build_it(
    settings: Any, constructions: list[Visitor]
) -> None:
    settings.MIDDLEWARE = ASYNC_STACK
    response = async_get(AsyncClient(), "/async/untouched/")
    assert response.status_code == 200
    assert constructions == []
    assert "sp_vid" not in response.cookies


def test_the_sync_stack_still_sets_the_cookie_for_a_view_that_used_the_visitor() -> None:
    response = Client().get("/sync/visitor/")
    assert unsign_visitor_id(response.cookies["sp_vid"].value) == response.json()["visitor_id"]


def test_the_sync_stack_builds_nothing_for_a_json_view_that_ignores_the_visitor(
    constructions: list[Visitor],
) -> None:
    response = Client().get("/sync/untouched/")
    assert response.status_code == 200 and constructions == []
