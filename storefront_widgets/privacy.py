"""What the tracking script tag and the consent banner need to know about the visitor.

Both are rendered per visitor, so they stay small; the consent rules themselves live
in `personalization_plugin.privacy` and `tracking.identity`, never here.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from personalization_plugin.core.conf import plugin_settings

logger = logging.getLogger("storefront_widgets")

EVENTS_URL_NAME = "personalization:events"
CONSENT_URL_NAME = "personalization:consent"


def _visitor(request: HttpRequest) -> Any:
    from personalization_plugin.tracking.identity import get_visitor

    return get_visitor(request)


def consent_state(request: HttpRequest) -> dict[str, Any]:
    """`privacy.consent.consent_state`: consent, mode, gpc, can_track, ask."""
    from personalization_plugin.privacy.consent import consent_state as _state

    return dict(_state(request))


def _url(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        logger.warning(
            "URL %r is not routed; include personalization_plugin.urls under a path, e.g. "
            'path("personalization/", include("personalization_plugin.urls")).',
            name,
        )
        return ""


def _intake_token(visitor: Any) -> str:
    from personalization_plugin.tracking.tokens import intake_token

    return str(intake_token(visitor))


def tracking_context(request: HttpRequest | None) -> dict[str, Any]:
    """Context for `storefront_widgets/tracking.html`; `enabled` False renders nothing."""
    if request is None or not plugin_settings.ENABLED:
        return {"enabled": False}
    endpoint = _url(EVENTS_URL_NAME)
    if not endpoint:
        return {"enabled": False}
    try:
        token = _intake_token(_visitor(request))
        state = consent_state(request)
    except Exception:
        logger.exception("Tracking script not rendered: the visitor could not be resolved.")
        return {"enabled": False}
    return {
        "enabled": True,
        "endpoint": endpoint,
        "token": token,
        "consent": state["consent"],
        "consent_mode": state["mode"],
        "can_track": bool(state["can_track"]),
    }


def banner_context(request: HttpRequest | None) -> dict[str, Any]:
    """Context for `storefront_widgets/consent_banner.html`; shown only when it matters."""
    if request is None or not plugin_settings.ENABLED:
        return {"show": False}
    try:
        state = consent_state(request)
    except Exception:
        logger.exception("Consent banner not rendered: consent state unavailable.")
        return {"show": False}
    action = _url(CONSENT_URL_NAME)
    return {
        "show": bool(state.get("ask")) and bool(action),
        "action": action,
        "next": request.get_full_path(),
        "request": request,
    }
