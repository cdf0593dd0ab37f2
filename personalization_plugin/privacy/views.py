"""Shopper-facing privacy views: consent choice, data export, erasure ("forget me").

Their messages are read by the shopper (or shown by the store's script), so they are
translated into the request's language; the JSON keys and values stay fixed.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.db import DatabaseError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from personalization_plugin.core.db_locks import is_lock_timeout, retry_when_locked
from personalization_plugin.core.exceptions import ErasureIncomplete
from personalization_plugin.core.json_body import JsonBodyError, read_json
from personalization_plugin.core.redis import REDIS_ERRORS
from personalization_plugin.privacy.consent import consent_state, set_consent
from personalization_plugin.privacy.export import export_subject
from personalization_plugin.tracking.identity import get_visitor

logger = logging.getLogger("personalization_plugin.privacy")


def _unavailable(message: str) -> JsonResponse:
    """503 with Retry-After: a backing service is down; the shopper can simply retry."""
    response = JsonResponse({"error": message}, status=503)
    response["Retry-After"] = "60"
    response["Cache-Control"] = "no-store"
    return response


def _erasure_failed(exc: ErasureIncomplete) -> JsonResponse:
    logger.error("Erasure requested by a shopper did not finish: %s", exc)
    return _unavailable(
        gettext(
            "Your opt-out is recorded, but erasing your data could not finish because a "
            "service is unavailable. Please try again in a minute."
        )
    )


def _database_busy(exc: OperationalError) -> HttpResponse:
    """503 with Retry-After when SQLite's write lock stayed taken through every retry:
    the choice is not recorded (the write rolled back; consent and erasure are
    idempotent, so sending it again finishes it), and the shopper is told to retry."""
    logger.warning("A shopper's privacy choice met a locked database after retries: %s", exc)
    response = _unavailable(
        gettext(
            "Your choice could not be saved because the store's database is busy. "
            "Please send it again in a few seconds."
        )
    )
    response["Retry-After"] = "5"
    return response


def _wants_json(request: HttpRequest) -> bool:
    return request.content_type == "application/json" or "application/json" in request.headers.get(
        "Accept", ""
    )


# A consent or forget-me body is a handful of short fields.
MAX_BODY_BYTES = 16_384


def _payload(request: HttpRequest) -> dict[str, Any]:
    """The form fields, or the JSON object of a JSON body; JsonBodyError when that body
    is too large, malformed, too deep or not an object (answered by `_bad_body`)."""
    if request.content_type == "application/json":
        data = read_json(request.body, max_bytes=MAX_BODY_BYTES, empty={})
        if not isinstance(data, dict):
            raise JsonBodyError(gettext('Send a JSON object, e.g. {"consent": "granted"}.'))
        return data
    return request.POST.dict()


def _bad_body(exc: JsonBodyError) -> JsonResponse:
    response = JsonResponse({"error": exc.message}, status=exc.status)
    response["Cache-Control"] = "no-store"
    return response


def _back(request: HttpRequest, data: dict[str, Any]) -> HttpResponse:
    target = data.get("next") or request.headers.get("Referer") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    return HttpResponseRedirect(target)


@require_POST
def consent_view(request: HttpRequest) -> HttpResponse:
    """POST consent=granted|denied (form or JSON; CSRF protected)."""
    try:
        data = _payload(request)
    except JsonBodyError as exc:
        return _bad_body(exc)
    choice = data.get("consent")
    if choice not in ("granted", "denied"):
        return JsonResponse(
            {
                "error": gettext('Send consent="granted" or consent="denied".'),
                "received": str(choice)[:20],
            },
            status=400,
        )
    response: HttpResponse = JsonResponse({}) if _wants_json(request) else _back(request, data)
    try:
        erased = retry_when_locked(lambda: set_consent(request, response, choice == "granted"))
    except ErasureIncomplete as exc:
        return _erasure_failed(exc)
    except OperationalError as exc:
        if not is_lock_timeout(exc):
            raise
        return _database_busy(exc)
    if isinstance(response, JsonResponse):
        body = {**consent_state(request), "erased": erased}
        response.content = json.dumps(body).encode()
    return response


# The stores an export reads: either being unreachable means no (partial) export.
EXPORT_ERRORS: tuple[type[BaseException], ...] = (*REDIS_ERRORS, DatabaseError)


@require_GET
def my_data_view(request: HttpRequest) -> HttpResponse:
    """The current shopper's data as a JSON download."""
    visitor = get_visitor(request)
    if visitor.is_new and not visitor.customer_id:
        data: dict[str, Any] = {"subjects": [], "events": [], "realtime": {}, "consent": []}
    else:
        try:
            data = export_subject(
                visitor_id=None if visitor.is_new else visitor.visitor_id,
                customer_id=visitor.customer_id or None,
            )
        except EXPORT_ERRORS as exc:  # buffered events unreachable: no partial export
            logger.error("Data export failed: %s", type(exc).__name__)
            return _unavailable(
                gettext("Your data cannot be exported right now; please try again in a minute.")
            )
    response = JsonResponse(data, json_dumps_params={"indent": 2})
    response["Content-Disposition"] = 'attachment; filename="my-personalization-data.json"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def forget_me_view(request: HttpRequest) -> HttpResponse:
    """Erase the current shopper's data and stop tracking them (CSRF protected).

    The same as withdrawing consent: without the recorded opt-out, the next page view
    would start a new history at once under CONSENT_MODE="implied".
    """
    try:
        data = _payload(request)
    except JsonBodyError as exc:
        return _bad_body(exc)
    response: HttpResponse = JsonResponse({}) if _wants_json(request) else _back(request, data)
    try:
        report = retry_when_locked(lambda: set_consent(request, response, False))
    except ErasureIncomplete as exc:
        return _erasure_failed(exc)
    except OperationalError as exc:
        if not is_lock_timeout(exc):
            raise
        return _database_busy(exc)
    if isinstance(response, JsonResponse):
        response.content = json.dumps({"erased": report}).encode()
    return response
