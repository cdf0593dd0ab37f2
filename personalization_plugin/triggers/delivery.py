"""Deliver one message: claim it, re-check the shopper, send the signal and the webhook.

The scan only writes a `Message` row and enqueues `tasks.send_message`; everything that
can wait happens here, one attempt per call. A retryable failure (connection error,
timeout, 429, 5xx) records the attempt and a `next_attempt_at` (exponential backoff,
jittered, at least what `Retry-After` asked, capped by TRIGGER_WEBHOOK_MAX_DELAY_SECONDS)
and returns: nothing sleeps. `run_due(now)` sends what is due, from a worker, the
`personalization_triggers` command or a test with a clock of its own.

Consent is checked again when sending: a shopper who opted out, switched the kind off in
the privacy center or was erased since the scan gets nothing, and the row says why.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

from django.db import OperationalError
from django.db.models import Q
from django.utils import timezone

from personalization_plugin import signals
from personalization_plugin.core import registry
from personalization_plugin.core import subjects as subject_keys
from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.core.exceptions import WebhookNotConfigured
from personalization_plugin.privacy.preferences import message_allowed
from personalization_plugin.triggers.models import Message, TriggerFiring
from personalization_plugin.triggers.webhooks import post_once, retry_delay

logger = logging.getLogger("personalization_plugin.triggers")

Status = Message.Status
SENDABLE = (Status.QUEUED, Status.FAILED)
# A claim outlives the HTTP timeout by this much before another sender may take over.
CLAIM_MARGIN_SECONDS = 30.0


def allowed(customer_id: str) -> bool:
    """Whether the customer's stored consent lets us personalize (and so message) them."""
    from personalization_plugin.consent import stored_consent
    from personalization_plugin.tracking.identity import Visitor

    visitor = Visitor(visitor_id=f"cust-{customer_id}", customer_id=customer_id)
    visitor.consent = stored_consent(visitor)
    return visitor.can_personalize


def _with_lock_retry(func: Any) -> Any:
    """Run a single-statement write, retrying briefly when SQLite reports its table
    lock (concurrent writers on one file); PostgreSQL waits for the row lock instead."""
    for pause in (0.01, 0.05, 0.1, 0.2, 0.5):
        try:
            return func()
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            time.sleep(pause)
    return func()


def claim(delivery_id: str, now: datetime) -> bool:
    """Take the message for one attempt; True for exactly one of concurrent callers."""
    timeout = float(plugin_settings.TRIGGER_WEBHOOK_TIMEOUT)
    due = Q(status__in=SENDABLE) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    abandoned = Q(status=Status.SENDING, claimed_until__lt=now)
    rows = _with_lock_retry(
        lambda: Message.objects.filter(Q(delivery_id=delivery_id) & (due | abandoned)).update(
            status=Status.SENDING,
            claimed_until=now + timedelta(seconds=timeout + CLAIM_MARGIN_SECONDS),
        )
    )
    return bool(rows)


def _finish(message: Message, **fields: Any) -> str:
    fields.setdefault("claimed_until", None)
    for name, value in fields.items():
        setattr(message, name, value)
    _with_lock_retry(lambda: Message.objects.filter(pk=message.pk).update(**fields))
    firing = message.firing
    if firing is not None and fields.get("status") in (Status.SENT, Status.GAVE_UP):
        firing.delivery = (
            TriggerFiring.Delivery.DELIVERED
            if fields["status"] == Status.SENT
            else TriggerFiring.Delivery.FAILED
        )
        firing.attempts = message.attempts
        firing.last_error = message.last_error
        firing.save(update_fields=["delivery", "attempts", "last_error"])
    return str(fields["status"])


def _refusal(message: Message) -> str:
    """Why this message must not go out now ("" when it may)."""
    if message.firing is None or not message.subject:
        return "erased"
    if registry.erased({message.subject}):
        return "erased"
    customer_id = subject_keys.ident(message.subject)
    if not allowed(customer_id):
        return "no_consent"
    if not message_allowed(customer_id, message.kind):
        return "switched_off"
    return ""


def body(message: Message) -> dict[str, Any]:
    """The JSON posted for this message: the firing's payload with the delivery id."""
    assert message.firing is not None
    return {**message.firing.payload, "delivery_id": str(message.delivery_id)}


def _announce(message: Message, payload: dict[str, Any]) -> None:
    """The in-process signal, once per message (on its first attempt)."""
    for _receiver, result in signals.trigger_fired.send_robust(
        sender=Message,
        kind=message.kind,
        customer_id=subject_keys.ident(message.subject),
        idempotency_key=payload.get("idempotency_key", ""),
        delivery_id=str(message.delivery_id),
        payload=payload,
    ):
        if isinstance(result, Exception):
            logger.error("A trigger_fired receiver failed: %s", type(result).__name__)


def send(delivery_id: str, *, now: datetime | None = None) -> str:
    """One attempt at message `delivery_id`; returns its status afterwards.

    Does nothing (returns the current status) when the message is not due or another
    sender holds it. Raises Message.DoesNotExist for an unknown id only if it never
    existed at all; an erased one is simply not claimable."""
    now = now or timezone.now()
    if not claim(delivery_id, now):
        current = Message.objects.filter(delivery_id=delivery_id).values_list("status", flat=True)
        return str(current.first() or "missing")
    message = Message.objects.select_related("firing").get(delivery_id=delivery_id)
    refusal = _refusal(message)
    if refusal:
        return _finish(message, status=Status.SUPPRESSED, reason=refusal, next_attempt_at=None)
    payload = body(message)
    if message.attempts == 0:
        _announce(message, payload)
    url = plugin_settings.TRIGGER_WEBHOOK_URL
    if not url:  # in-process senders only: the signal was the delivery
        return _finish(message, status=Status.SENT, sent_at=now, next_attempt_at=None)
    return _post(message, str(url), payload, now)


def _post(message: Message, url: str, payload: dict[str, Any], now: datetime) -> str:
    attempt = message.attempts + 1
    try:
        result = post_once(
            url,
            str(plugin_settings.TRIGGER_WEBHOOK_SECRET or ""),
            payload,
            str(message.delivery_id),
            timeout=float(plugin_settings.TRIGGER_WEBHOOK_TIMEOUT),
            attempt=attempt,
        )
    except WebhookNotConfigured as exc:
        logger.error("%s", exc)
        return _finish(
            message,
            status=Status.GAVE_UP,
            reason="not_configured",
            last_error=str(exc)[:300],
            next_attempt_at=None,
        )
    done = {"attempts": attempt, "last_status": result.status, "last_error": result.error[:300]}
    if result.ok:
        return _finish(message, status=Status.SENT, sent_at=now, next_attempt_at=None, **done)
    if not result.retryable:
        return _finish(
            message, status=Status.GAVE_UP, reason="client_error", next_attempt_at=None, **done
        )
    if attempt > int(plugin_settings.TRIGGER_WEBHOOK_RETRIES):
        logger.error("Message %s not delivered: %s.", message.delivery_id, result.error)
        return _finish(
            message,
            status=Status.GAVE_UP,
            reason="retries_exhausted",
            next_attempt_at=None,
            **done,
        )
    wait = retry_delay(
        attempt,
        backoff=float(plugin_settings.TRIGGER_WEBHOOK_BACKOFF_SECONDS),
        asked=result.retry_after,
        max_delay=float(plugin_settings.TRIGGER_WEBHOOK_MAX_DELAY_SECONDS),
    )
    when = now + timedelta(seconds=wait)
    logger.warning(
        "Message attempt %d failed: %s; next attempt in %.1fs.", attempt, result.error, wait
    )
    return _finish(message, status=Status.FAILED, next_attempt_at=when, **done)


def run_due(*, now: datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Send every message due at `now` (queued, failed and due for a retry, or held by a
    sender whose claim lapsed), at most `limit`; returns counts by resulting status."""
    now = now or timezone.now()
    due = Message.objects.filter(
        (Q(status__in=SENDABLE) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)))
        | Q(status=Status.SENDING, claimed_until__lt=now)
    ).order_by("next_attempt_at", "pk")
    counts: dict[str, int] = {}
    for delivery_id in list(due.values_list("delivery_id", flat=True)[:limit]):
        status = send(str(delivery_id), now=now)
        counts[status] = counts.get(status, 0) + 1
    return counts


def erase_messages(subjects: set[str]) -> int:
    """Eraser: strip the erased shopper from their messages. The rows stay, without a
    subject, so the ledger still shows a message was stopped (or sent) and why; one not
    yet sent is suppressed with the reason "erased"."""
    mine = Message.objects.filter(subject__in=list(subjects))
    stopped = mine.filter(status__in=(*SENDABLE, Status.SENDING)).update(
        status=Status.SUPPRESSED, reason="erased", next_attempt_at=None, subject=""
    )
    return int(stopped + mine.update(subject=""))
