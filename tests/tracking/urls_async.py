"""URLs for the middleware tests: async and sync views that use the visitor or not."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path


async def async_visitor(request: HttpRequest) -> JsonResponse:
    visitor = await request.avisitor()  # type: ignore[attr-defined]
    return JsonResponse({"visitor_id": visitor.visitor_id, "can_track": visitor.can_track})


async def async_untouched(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


def sync_visitor(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"visitor_id": request.visitor.visitor_id})  # type: ignore[attr-defined]


def sync_untouched(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


def html_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<p>page</p>")


urlpatterns = [
    path("async/visitor/", async_visitor),
    path("async/untouched/", async_untouched),
    path("sync/visitor/", sync_visitor),
    path("sync/untouched/", sync_untouched),
    path("page/", html_page),
]
