"""The intake endpoint the storefront tracking script posts to with navigator.sendBeacon.

POST /personalization/events/ with a JSON body (any Content-Type, since sendBeacon sends
text/plain): {"token": "...", "events": [{"type": "impression", "product_id": "42",
"placement": "for_you", "model_version": "...", "position": 1, "recommendation_id": "..."}]}.

sendBeacon cannot set a CSRF header, so the view is CSRF-exempt and checks the signed
per-visitor token instead (`tokens.intake_token`, embedded in the page). Purchases are
never accepted from a browser: orders come from the server (`track_order`).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.core.exceptions import InvalidIntakeToken, RateLimited
from personalization_plugin.core.json_body import JsonBodyError, read_json
from personalization_plugin.tracking.intake import receive

MAX_EVENTS_PER_REQUEST = 50


def _error(message: str, status: int, **extra: Any) -> JsonResponse:
    response = JsonResponse({"error": message, **extra}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _parse(request: HttpRequest) -> list[Any] | JsonResponse:
    limit = MAX_EVENTS_PER_REQUEST * int(plugin_settings.MAX_EVENT_BYTES) + 4096
    try:
        data = read_json(request.body, max_bytes=limit)
    except JsonBodyError as exc:
        hint = ' Send {"token": ..., "events": [...]}.' if exc.status == 400 else ""
        return _error(exc.message + hint, exc.status)
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        return _error('Body must be a JSON object with an "events" list.', 400)
    events = data["events"]
    if len(events) > MAX_EVENTS_PER_REQUEST:
        return _error(
            f"{len(events)} events in one request; send at most {MAX_EVENTS_PER_REQUEST}.", 413
        )
    request._intake_token = data.get("token")  # type: ignore[attr-defined]
    return events


@csrf_exempt
@require_POST
def intake_view(request: HttpRequest) -> JsonResponse:
    """Accept up to 50 browser events; 202 with per-event errors, 403/413/429 otherwise.

    The rules (consent, token, crawlers, erased ids, rate limit, validation) are
    `tracking.intake.receive`'s, the same as GraphQL's trackEvent."""
    parsed = _parse(request)
    if isinstance(parsed, JsonResponse):
        return parsed
    token = getattr(request, "_intake_token", None) or request.GET.get("token")
    try:
        received = receive(request, parsed, token)
    except InvalidIntakeToken as exc:
        return _error(str(exc), 403)
    except RateLimited as exc:
        response = _error(str(exc), 429)
        response["Retry-After"] = "60"
        return response
    body = {
        "accepted": received.accepted,
        "rejected": len(received.errors),
        "errors": received.errors,
        "tracking": received.tracking,
    }
    response = JsonResponse(body, status=202)
    response["Cache-Control"] = "no-store"
    return response
