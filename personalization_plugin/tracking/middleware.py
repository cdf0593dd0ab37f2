"""VisitorMiddleware: sets `request.visitor` and keeps the visitor cookie.

The cookie is set only when the shopper may be tracked: with CONSENT_MODE="required"
no cookie is written until they consent, and an opted-out shopper gets none.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.tracking.identity import sign_visitor_id, visitor_from_request


class VisitorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        visitor = visitor_from_request(request)
        request.visitor = visitor  # type: ignore[attr-defined]
        response = self.get_response(request)
        current = getattr(request, "visitor", visitor)
        if getattr(response, "_personalization_cookies_done", False):
            return response
        if current.is_new and current.can_track:
            set_visitor_cookie(request, response, current.visitor_id)
        return response


def set_visitor_cookie(request: HttpRequest, response: HttpResponse, visitor_id: str) -> None:
    """Write the signed visitor cookie: HttpOnly, SameSite=Lax, Secure on HTTPS."""
    response.set_cookie(
        plugin_settings.VISITOR_COOKIE,
        sign_visitor_id(visitor_id),
        max_age=int(plugin_settings.COOKIE_MAX_AGE),
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )


def delete_visitor_cookie(response: HttpResponse) -> None:
    response.delete_cookie(plugin_settings.VISITOR_COOKIE, samesite="Lax")
