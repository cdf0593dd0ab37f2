"""The webhook endpoint Saleor calls: verify, de-duplicate, dispatch.

Answers (JSON): 200 {"status": "processed", ...} | {"status": "duplicate"} |
{"status": "ignored"} (an event this app does not handle); 401 for a missing or forged
signature; 400 for a body that is not a usable payload. A failed delivery is not
recorded, so Saleor's retry is processed; a processed one is recorded first, in the
same transaction, so a replay stores nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from personalization_plugin.core.exceptions import InvalidEvent, InvalidPayload, InvalidSignature
from personalization_plugin.integrations.saleor.handlers import HANDLERS
from personalization_plugin.integrations.saleor.models import WebhookDelivery
from personalization_plugin.integrations.saleor.signatures import SIGNATURE_HEADER, verify

logger = logging.getLogger("personalization_plugin.integrations.saleor")

# Saleor retries a failed delivery for hours, not days: older ids need not be remembered.
DELIVERY_MEMORY = timedelta(days=7)
EVENT_HEADER = "Saleor-Event"
EVENT_ID_HEADER = "Saleor-Event-Id"


def delivery_id(request: HttpRequest, event_type: str) -> str:
    """Saleor's event id when sent, else a digest of event type and body (a retry of the
    same delivery has the same body)."""
    given = request.headers.get(EVENT_ID_HEADER, "").strip()
    if given:
        return given[:128]
    digest = hashlib.sha256(event_type.encode() + b"\n" + request.body).hexdigest()
    return f"sha256:{digest}"


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@csrf_exempt
@require_POST
def webhook_view(request: HttpRequest) -> JsonResponse:
    try:
        scheme = verify(request.body, request.headers.get(SIGNATURE_HEADER, ""))
    except InvalidSignature as exc:
        logger.warning("Rejected a Saleor webhook: %s", exc)
        return _error(401, str(exc))
    event_type = request.headers.get(EVENT_HEADER, "").strip().lower()
    handler = HANDLERS.get(event_type)
    if handler is None:
        return JsonResponse({"status": "ignored", "event": event_type})
    try:
        payload = json.loads(request.body)
    except ValueError:
        return _error(400, "The body is not JSON.")
    key = delivery_id(request, event_type)
    try:
        with transaction.atomic():
            WebhookDelivery.objects.create(delivery_id=key, event_type=event_type)
            WebhookDelivery.objects.filter(
                received_at__lt=timezone.now() - DELIVERY_MEMORY
            ).delete()
            result = handler(payload)
    except IntegrityError:
        return JsonResponse({"status": "duplicate", "event": event_type})
    except (InvalidPayload, InvalidEvent, TypeError, ValueError) as exc:
        logger.warning("Rejected a Saleor %s webhook: %s", event_type, exc)
        return _error(400, f"Unusable {event_type} payload: {exc}")
    return JsonResponse({"status": "processed", "event": event_type, "signature": scheme, **result})
