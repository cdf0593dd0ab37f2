"""VisitorMiddleware: puts a lazy `request.visitor` on the request and keeps the cookie.

Building a Visitor reads the signed cookie, the signed-in user (a session and a user
query) and the consent state, so it happens only when something asks for it: a view,
a template tag, `get_visitor(request)`. A static file or an admin JSON call that never
looks at the visitor costs nothing. Async views `await request.avisitor()`, which
builds it off the event loop (like Django's `request.auser()`).

The cookie is set on the response when the visitor is new and may be tracked (with
CONSENT_MODE="required" no cookie is written until they consent, and an opted-out
shopper gets none), and only when either

- the request used the visitor (it may have recorded events under its id), or
- the response is an HTML page. Every page keeps minting the cookie as before, so a
  first-time shopper's page carries their id before its widgets' partials and the
  tracking beacon run in parallel; otherwise each of those would mint its own id.

Other responses that never touched the visitor (static files, images, JSON) get no
cookie and no lookup.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.functional import SimpleLazyObject, empty

from personalization_plugin.core import request_scope
from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.tracking.identity import (
    Visitor,
    sign_visitor_id,
    visitor_from_request,
)

GetResponse = (
    Callable[[HttpRequest], HttpResponseBase] | Callable[[HttpRequest], Awaitable[HttpResponseBase]]
)


class VisitorMiddleware:
    """Sets `request.visitor` (lazy) and `request.avisitor()`; writes the visitor cookie."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            # Mark the instance, not the class, as a coroutine function (django-htmx does
            # the same), so __call__ keeps one signature for both modes.
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.async_mode:
            return self.__acall__(request)
        lazy = attach_visitor(request)
        with request_scope.scope():  # shared facts read once per request
            response = cast(HttpResponseBase, self.get_response(request))
        visitor = cookie_visitor(request, response, lazy)
        if visitor is not None:
            keep_cookie(request, response, visitor)
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        lazy = attach_visitor(request)
        with request_scope.scope():
            response = await cast(Awaitable[HttpResponseBase], self.get_response(request))
        visitor = cookie_visitor(request, response, lazy)
        if visitor is not None:
            # Building the visitor may query the session and the database.
            await sync_to_async(keep_cookie)(request, response, visitor)
        return response


def attach_visitor(request: HttpRequest) -> SimpleLazyObject:
    """Put the lazy visitor (and its async accessor) on the request; returns the lazy."""
    lazy = SimpleLazyObject(lambda: visitor_from_request(request))

    async def avisitor() -> Visitor:
        current = getattr(request, "visitor", lazy)
        await sync_to_async(build)(current)
        return cast(Visitor, current)

    request.visitor = lazy  # type: ignore[attr-defined]
    request.avisitor = avisitor  # type: ignore[attr-defined]
    return lazy


def is_built(lazy: SimpleLazyObject) -> bool:
    """Whether anything has read the lazy visitor yet."""
    return lazy._wrapped is not empty  # type: ignore[attr-defined]


def build(visitor: Visitor | SimpleLazyObject) -> None:
    """Build a lazy visitor now (sync_to_async runs this off the event loop)."""
    if isinstance(visitor, SimpleLazyObject) and not is_built(visitor):
        visitor._setup()  # type: ignore[attr-defined]


def cookie_visitor(
    request: HttpRequest, response: HttpResponseBase, lazy: SimpleLazyObject
) -> Visitor | None:
    """The visitor whose cookie this response may carry, or None when it carries none.

    A view may replace `request.visitor` (login merges it into the customer); the
    replacement wins, as it is the visitor the request ended with."""
    if getattr(response, "_personalization_cookies_done", False):
        return None
    current = getattr(request, "visitor", lazy)
    if current is lazy and not is_built(lazy) and not is_html_page(response):
        return None
    return cast(Visitor, current)


def is_html_page(response: HttpResponseBase) -> bool:
    return response.get("Content-Type", "").split(";", 1)[0].strip().lower() == "text/html"


def keep_cookie(request: HttpRequest, response: HttpResponseBase, visitor: Visitor) -> None:
    """Set the cookie for a new visitor who may be tracked (builds a lazy visitor); a
    rotated visitor (logout, another customer's login) who may not be tracked loses the
    old cookie instead of keeping it."""
    if visitor.is_new and visitor.can_track:
        set_visitor_cookie(request, response, visitor.visitor_id)
    elif visitor.rotated:
        delete_visitor_cookie(response)


def set_visitor_cookie(request: HttpRequest, response: HttpResponseBase, visitor_id: str) -> None:
    """Write the signed visitor cookie: HttpOnly, SameSite=Lax, Secure on HTTPS."""
    response.set_cookie(
        plugin_settings.VISITOR_COOKIE,
        sign_visitor_id(visitor_id),
        max_age=int(plugin_settings.COOKIE_MAX_AGE),
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )


def delete_visitor_cookie(response: HttpResponseBase) -> None:
    response.delete_cookie(plugin_settings.VISITOR_COOKIE, samesite="Lax")
