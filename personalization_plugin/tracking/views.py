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

from personalization_plugin.core import subjects as subject_keys
from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.core.events import STOREFRONT_EVENTS, STOREFRONT_FIELDS
from personalization_plugin.core.exceptions import PersonalizationError
from personalization_plugin.core.json_body import JsonBodyError, read_json
from personalization_plugin.tracking import ratelimit
from personalization_plugin.tracking.api import track
from personalization_plugin.tracking.identity import get_visitor
from personalization_plugin.tracking.products import product_categories
from personalization_plugin.tracking.tokens import check_intake_token

MAX_EVENTS_PER_REQUEST = 50
# The types a browser may send, and the fields read from each, are the storefront's part
# of the event schema (`core.events`); GraphQL's trackEvent accepts the same.
_ACCEPTED_TYPES = frozenset(t.value for t in STOREFRONT_EVENTS)
_ACCEPTED_LIST = ", ".join(sorted(_ACCEPTED_TYPES))


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
    """Accept up to 50 browser events; 202 with per-event errors, 403/413/429 otherwise."""
    parsed = _parse(request)
    if isinstance(parsed, JsonResponse):
        return parsed
    visitor = get_visitor(request)
    if not visitor.can_track:
        return JsonResponse(
            {"accepted": 0, "rejected": 0, "errors": [], "tracking": False}, status=202
        )
    token = getattr(request, "_intake_token", None) or request.GET.get("token")
    if visitor.is_new or not check_intake_token(visitor, token):
        return _error(
            "Missing or invalid intake token: embed the token rendered for this visitor "
            "(personalization_plugin.tracking.tokens.intake_token) and send the visitor cookie.",
            403,
        )
    ip = request.META.get("REMOTE_ADDR", "")
    if not ratelimit.allow(
        [subject_keys.visitor(visitor.visitor_id), ratelimit.ip_key(ip)], len(parsed)
    ):
        response = _error(
            f"Rate limit of {plugin_settings.RATE_LIMIT_PER_MINUTE} events per minute "
            "exceeded; retry in a minute.",
            429,
        )
        response["Retry-After"] = "60"
        return response
    return _accept(request, parsed)


def _accept(request: HttpRequest, raw_events: list[Any]) -> JsonResponse:
    # One adapter call warms the product cache for the whole request.
    ids = [e.get("product_id") for e in raw_events if isinstance(e, dict) and e.get("product_id")]
    if ids:
        product_categories(str(i) for i in ids)
    accepted, errors = 0, []
    for index, raw in enumerate(raw_events):
        if not isinstance(raw, dict):
            errors.append({"index": index, "error": "Each event must be a JSON object."})
            continue
        kind = raw.get("type")
        if not isinstance(kind, str) or kind not in _ACCEPTED_TYPES:
            errors.append(
                {
                    "index": index,
                    "error": f"Event type {str(kind)[:32]!r} is not accepted from a browser; use one of: {_ACCEPTED_LIST}.",
                }
            )
            continue
        fields = {name: raw[name] for name in STOREFRONT_FIELDS if name in raw}
        try:
            track(kind, request=request, **fields)
        except PersonalizationError as exc:
            errors.append({"index": index, "error": str(exc)})
            continue
        accepted += 1
    body = {"accepted": accepted, "rejected": len(errors), "errors": errors, "tracking": True}
    response = JsonResponse(body, status=202)
    response["Cache-Control"] = "no-store"
    return response
