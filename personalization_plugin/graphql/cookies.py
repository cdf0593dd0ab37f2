"""Cookies set by mutations (consent, forget me), carried to the HTTP response.

A resolver has no response of its own: a mutation sets its cookies on a throwaway
`HttpResponse` and `carry_cookies` keeps them on the request, from where
PersonalizationGraphQLView copies them onto the real response.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

# Cookies set by mutations, copied onto the HTTP response by PersonalizationGraphQLView.
RESPONSE_COOKIES_ATTR = "_personalization_graphql_cookies"
# Tells VisitorMiddleware the consent mutation already decided the visitor cookie.
RESPONSE_COOKIES_DONE_ATTR = "_personalization_graphql_cookies_done"


def carry_cookies(request: HttpRequest, carrier: HttpResponse) -> None:
    """Keep the cookies a mutation set on `carrier` for the view to copy onto the response."""
    cookies = getattr(request, RESPONSE_COOKIES_ATTR, None)
    if cookies is None:
        cookies = {}
        setattr(request, RESPONSE_COOKIES_ATTR, cookies)
    cookies.update(carrier.cookies)
    if getattr(carrier, "_personalization_cookies_done", False):
        setattr(request, RESPONSE_COOKIES_DONE_ATTR, True)
