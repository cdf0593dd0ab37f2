"""The privacy center's form handler, and `forget-me/` opened in a browser.

Every control of `{% storefront_privacy_center %}` is a plain form (CSRF protected) posted
here: `action` says what to do, `next` where to go back. The answer is a redirect
(POST-redirect-GET) to `next` with `sp_privacy=<outcome>` in the query, which the page
turns into a status message; htmx posts the same forms and swaps the re-rendered center,
so both paths run the same code. Consent goes through `consent.set_consent` and erasure
through it too (as `forget-me/` does), preferences through `preferences`.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.core.exceptions import ErasureIncomplete
from personalization_plugin.privacy import preferences
from personalization_plugin.privacy.consent import set_consent
from personalization_plugin.tracking.identity import get_visitor

logger = logging.getLogger("personalization_plugin.privacy")

STATUS_PARAM = "sp_privacy"
ERASED_PARAM = "sp_erased"
STATUS_ANCHOR = "sp-privacy-status"
ACTIONS = (
    "personalization_on",
    "personalization_off",
    "mute_category",
    "unmute_category",
    "message_on",
    "message_off",
    "forget",
)


def privacy_center_url() -> str:
    """Where the store's privacy center is (PRIVACY_CENTER_URL as a path or URL name); ""."""
    target = plugin_settings.PRIVACY_CENTER_URL
    if not target:
        return ""
    target = str(target)
    if "/" in target:
        return target
    try:
        return reverse(target)
    except NoReverseMatch:
        logger.warning(
            "PERSONALIZATION['PRIVACY_CENTER_URL'] = %r is neither a path nor a URL name.", target
        )
        return ""


def with_status(url: str, status: str, **extra: Any) -> str:
    """`url` with `sp_privacy=<status>` (and `extra`) in its query, jumping to the message."""
    parts = urlsplit(url)
    query = [
        pair
        for pair in (parts.query.split("&") if parts.query else [])
        if pair.split("=", 1)[0] not in (STATUS_PARAM, ERASED_PARAM)
    ]
    query.append(urlencode({STATUS_PARAM: status, **{k: str(v) for k, v in extra.items()}}))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "&".join(query), STATUS_ANCHOR))


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or privacy_center_url() or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    return target


def _consent(request: HttpRequest, back: str, granted: bool, status: str) -> HttpResponse:
    response = HttpResponseRedirect(back)
    report = set_consent(request, response, granted)
    extra = {ERASED_PARAM: int(report.get("events", 0))} if not granted else {}
    response["Location"] = with_status(back, status, **extra)
    return response


def _apply(request: HttpRequest, action: str, back: str) -> HttpResponse:
    """Carry out one action; raises InvalidPreference, ErasureIncomplete or a store error."""
    visitor = get_visitor(request)
    if action == "personalization_on":
        return _consent(request, back, True, "on")
    if action in ("personalization_off", "forget"):
        return _consent(
            request, back, False, "off" if action == "personalization_off" else "forgotten"
        )
    if action in ("mute_category", "unmute_category"):
        muted = action == "mute_category"
        preferences.set_category_muted(visitor, request.POST.get("category"), muted)
        return HttpResponseRedirect(with_status(back, "muted" if muted else "unmuted"))
    enabled = action == "message_on"
    preferences.set_message_enabled(visitor, request.POST.get("message"), enabled)
    return HttpResponseRedirect(with_status(back, "message_on" if enabled else "message_off"))


@require_POST
def center_action_view(request: HttpRequest) -> HttpResponse:
    """POST action=<one of ACTIONS> [category=] [message=] next=<page> (CSRF protected).

    Always answers with a redirect to `next` carrying the outcome: a bad action or value
    gives `sp_privacy=invalid`, a service that is down `sp_privacy=unavailable`, never a
    raw error page."""
    back = _next(request)
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        return HttpResponseRedirect(with_status(back, "invalid"))
    try:
        return _apply(request, action, back)
    except preferences.InvalidPreference as exc:
        logger.info("Privacy center: %s", exc)
        return HttpResponseRedirect(with_status(back, "invalid"))
    except ErasureIncomplete as exc:
        logger.error("Erasure requested in the privacy center did not finish: %s", exc)
        return HttpResponseRedirect(with_status(back, "unavailable"))
    except Exception as exc:  # Redis or the database down: say so, never a 500
        logger.error("Privacy center action %r failed: %s", action, type(exc).__name__)
        return HttpResponseRedirect(with_status(back, "unavailable"))


@require_http_methods(["GET", "HEAD", "POST"])
def forget_me_entry(request: HttpRequest) -> HttpResponse:
    """`forget-me/`: POST erases (the API, unchanged); GET, as a browser opens the link,
    shows a page explaining it, with a confirmation form and the privacy center's link."""
    if request.method == "POST":
        from personalization_plugin.privacy.views import forget_me_view

        return forget_me_view(request)
    response = render(
        request,
        "personalization_plugin/privacy/forget_me.html",
        {
            "center_url": privacy_center_url(),
            "action": reverse("personalization:privacy_center"),
            "my_data_url": reverse("personalization:my_data"),
            "next": privacy_center_url() or "/",
        },
    )
    response["Cache-Control"] = "no-store"
    return response
