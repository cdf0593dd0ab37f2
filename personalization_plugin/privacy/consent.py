"""Consent and opt-out: reading the shopper's choice and recording a new one.

The choice lives in a cookie (CONSENT_COOKIE, "granted" or "denied") and, so that it
follows a signed-in customer across devices, in `PrivacyChoice`. A customer's stored
choice wins over the cookie. Withdrawing consent also erases what was stored.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from personalization_plugin.consent import (
    CONSENT_DENIED,
    CONSENT_GRANTED,
    CONSENT_UNKNOWN,
    forget_cached_consent,
)
from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.tracking.identity import get_visitor


def consent_state(request: HttpRequest) -> dict[str, Any]:
    """What a consent banner or privacy page needs to know about the current shopper.

    Keys: consent ("granted" | "denied" | "unknown"), mode (CONSENT_MODE), gpc (bool),
    can_track, can_personalize, ask (bool: show a consent prompt now).
    """
    visitor = get_visitor(request)
    gpc_blocks = visitor.gpc and plugin_settings.HONOR_GPC
    return {
        "consent": visitor.consent,
        "mode": plugin_settings.CONSENT_MODE,
        "gpc": visitor.gpc,
        "can_track": visitor.can_track,
        "can_personalize": visitor.can_personalize,
        "ask": (
            plugin_settings.ENABLED
            and plugin_settings.CONSENT_MODE == "required"
            and visitor.consent == CONSENT_UNKNOWN
            and not gpc_blocks
        ),
    }


def set_consent(request: HttpRequest, response: HttpResponse, granted: bool) -> dict[str, int]:
    """Record the shopper's choice on `response` (cookie) and, when known, in PrivacyChoice.

    Granting issues the visitor cookie if there was none. Denying erases everything
    stored about the shopper (events, real-time state, buffers, registered erasers) and
    drops the visitor cookie. Returns the erasure report ({} when granting).
    """
    from personalization_plugin.models import PrivacyChoice
    from personalization_plugin.privacy.erasure import erase
    from personalization_plugin.tracking.middleware import delete_visitor_cookie, set_visitor_cookie

    visitor = get_visitor(request)
    value = CONSENT_GRANTED if granted else CONSENT_DENIED
    response.set_cookie(
        plugin_settings.CONSENT_COOKIE,
        value,
        max_age=int(plugin_settings.COOKIE_MAX_AGE),
        samesite="Lax",
        secure=request.is_secure(),
        httponly=False,  # the tracking script may read it; it holds no secret
    )
    for subject in visitor.subjects:
        PrivacyChoice.objects.update_or_create(subject=subject, defaults={"consent": value})
    forget_cached_consent()
    visitor.consent = value
    response._personalization_cookies_done = True  # type: ignore[attr-defined]
    if granted:
        set_visitor_cookie(request, response, visitor.visitor_id)
        visitor.is_new = False
        return {}
    report = erase(
        visitor_id=visitor.visitor_id, customer_id=visitor.customer_id or None, keep_consent=True
    )
    delete_visitor_cookie(response)
    return report
