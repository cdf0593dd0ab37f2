"""Signed webhook delivery with retries.

The body is JSON; headers carry:
    X-Personalization-Timestamp   unix seconds when signed
    X-Personalization-Signature   "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body)
    Idempotency-Key               the message's delivery id: a receiver drops repeats
    X-Personalization-Attempt     1 for the first try, 2 for the first retry, ...
A receiver checks the signature with `verify_signature`. Connection errors, timeouts,
429 and 5xx are retried with exponential backoff (backoff, 2x backoff, 4x ...) with
jitter (each wait drawn between half and all of its step, so many senders that failed
together do not retry in lockstep); a `Retry-After` answer (seconds or an HTTP date) is
honoured as the least wait, capped at `max_delay`. Other 4xx answers are final. Errors
and logs name the host only, never the URL's path or query (which may carry tokens) and
never the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from personalization_plugin.core.exceptions import WebhookNotConfigured

logger = logging.getLogger("personalization_plugin.triggers")

SIGNATURE_HEADER = "X-Personalization-Signature"
TIMESTAMP_HEADER = "X-Personalization-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
ATTEMPT_HEADER = "X-Personalization-Attempt"


@dataclass
class Delivery:
    ok: bool
    attempts: int
    status: int | None = None
    error: str = ""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value for a body signed at `timestamp`."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(
    secret: str,
    body: bytes,
    timestamp: str,
    signature: str,
    *,
    tolerance: float = 300.0,
    now: float | None = None,
) -> bool:
    """Whether a received webhook is authentic and fresh (within `tolerance` seconds)."""
    try:
        age = abs((now if now is not None else time.time()) - float(timestamp))
    except ValueError:
        return False
    return age <= tolerance and hmac.compare_digest(sign(secret, timestamp, body), signature)


def _host(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}{f':{parts.port}' if parts.port else ''}"


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """The wait a `Retry-After` header asks for, in seconds (None when absent or unreadable).

    RFC 9110 allows delay-seconds or an HTTP date; a date in the past means "now"."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


@dataclass
class Attempt:
    """What one POST came to: `retryable` failures (connection errors, timeouts, 429,
    5xx) may be tried again, after at least `retry_after` seconds when the receiver
    asked for a wait."""

    ok: bool
    status: int | None = None
    retryable: bool = False
    retry_after: float | None = None
    error: str = ""


def _require_secret(secret: str) -> None:
    if not secret:
        raise WebhookNotConfigured(
            'PERSONALIZATION["TRIGGER_WEBHOOK_URL"] is set but TRIGGER_WEBHOOK_SECRET is not; '
            "set a long random secret so receivers can verify the signature."
        )


def encode(payload: dict[str, Any]) -> bytes:
    """The exact bytes posted and signed (compact, keys sorted: stable across attempts)."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def post_once(
    url: str,
    secret: str,
    payload: dict[str, Any],
    idempotency_key: str,
    *,
    timeout: float = 5.0,
    attempt: int = 1,
) -> Attempt:
    """POST `payload` signed, once, and say how it went; never sleeps, never raises for
    what the network or the receiver did. Raises WebhookNotConfigured without a secret."""
    _require_secret(secret)
    body = encode(payload)
    timestamp = str(int(time.time()))
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "storefront-personalization-webhook/1",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(secret, timestamp, body),
            IDEMPOTENCY_HEADER: idempotency_key,
            ATTEMPT_HEADER: str(attempt),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return Attempt(ok=True, status=response.status)
    except urllib.error.HTTPError as exc:
        return Attempt(
            ok=False,
            status=exc.code,
            retryable=exc.code >= 500 or exc.code == 429,
            retry_after=retry_after_seconds(
                exc.headers.get("Retry-After") if exc.headers else None
            ),
            error=f"{_host(url)} answered HTTP {exc.code}",
        )
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return Attempt(
            ok=False, retryable=True, error=f"{_host(url)} unreachable ({type(reason).__name__})"
        )


def retry_delay(
    attempt: int,
    *,
    backoff: float,
    asked: float | None = None,
    max_delay: float = 300.0,
    jitter: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based): the exponential
    step `backoff * 2**(attempt-1)`, drawn between half and all of it, at least what
    `Retry-After` asked, at most `max_delay`."""
    step = backoff * 2 ** (attempt - 1)
    delay = step * (0.5 + 0.5 * jitter())
    if asked is not None:
        delay = max(delay, asked)
    return min(delay, max_delay)


def deliver(
    url: str,
    secret: str,
    payload: dict[str, Any],
    idempotency_key: str,
    *,
    retries: int = 4,
    backoff: float = 1.0,
    timeout: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
    jitter: Callable[[], float] = random.random,
    max_delay: float = 300.0,
) -> Delivery:
    """POST `payload` signed; retry transient failures up to `retries` more times,
    waiting with `sleep` in between. For scripts and tests: the trigger scan never calls
    this (it queues a task per message, `triggers.delivery`, that schedules retries)."""
    _require_secret(secret)
    result = Attempt(ok=False)
    for attempt in range(1, retries + 2):
        result = post_once(url, secret, payload, idempotency_key, timeout=timeout, attempt=attempt)
        if result.ok:
            return Delivery(ok=True, attempts=attempt, status=result.status)
        if not result.retryable:
            break
        if attempt <= retries:
            delay = retry_delay(
                attempt,
                backoff=backoff,
                asked=result.retry_after,
                max_delay=max_delay,
                jitter=jitter,
            )
            logger.warning(
                "Webhook attempt %d failed: %s; retrying in %.1fs.", attempt, result.error, delay
            )
            sleep(delay)
    logger.error("Webhook %s not delivered: %s.", idempotency_key, result.error)
    return Delivery(ok=False, attempts=attempt, status=result.status, error=result.error)
