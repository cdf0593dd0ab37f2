"""Signed webhook delivery against a real local HTTP server."""

from __future__ import annotations

import json
import logging
import socket
import time

import pytest

from personalization_plugin.core.exceptions import WebhookNotConfigured
from personalization_plugin.triggers.webhooks import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    deliver,
    sign,
    verify_signature,
)

from .server import endpoint

SECRET = "s3cr3t-webhook-key-that-must-not-leak"
PAYLOAD = {"type": "abandoned_cart", "customer_id": "7", "products": []}


def test_receiver_can_verify_the_signature():
    with endpoint() as hook:
        result = deliver(hook.url, SECRET, PAYLOAD, "key-1")
    assert result.ok and result.attempts == 1
    got = hook.received[0]
    assert json.loads(got.body) == PAYLOAD
    assert verify_signature(
        SECRET, got.body, got.headers[TIMESTAMP_HEADER], got.headers[SIGNATURE_HEADER]
    )
    assert got.headers[IDEMPOTENCY_HEADER] == "key-1"
    assert got.headers["Content-Type"] == "application/json"


def test_verification_rejects_a_changed_body_a_wrong_secret_and_a_stale_timestamp():
    body, stamp = b'{"a":1}', str(int(time.time()))
    good = sign(SECRET, stamp, body)
    assert verify_signature(SECRET, body, stamp, good)
    assert not verify_signature(SECRET, b'{"a":2}', stamp, good)
    assert not verify_signature("other", body, stamp, good)
    assert not verify_signature(SECRET, body, stamp, good, now=time.time() + 3600)


def test_failing_endpoint_is_retried_with_exponential_backoff_until_it_succeeds():
    waits: list[float] = []
    with endpoint([503, 500]) as hook:
        result = deliver(
            hook.url,
            SECRET,
            PAYLOAD,
            "key-2",
            retries=4,
            backoff=0.01,
            sleep=waits.append,
            jitter=lambda: 1.0,
        )
    assert result.ok and result.attempts == 3
    assert waits == [0.01, 0.02]
    assert {r.headers[IDEMPOTENCY_HEADER] for r in hook.received} == {"key-2"}
    assert len({r.body for r in hook.received}) == 1


def test_gives_up_after_the_configured_retries():
    with endpoint([500] * 10) as hook:
        result = deliver(hook.url, SECRET, PAYLOAD, "k", retries=2, backoff=0, sleep=lambda s: None)
    assert not result.ok and result.attempts == 3 and len(hook.received) == 3
    assert "HTTP 500" in result.error


def test_client_errors_are_not_retried():
    with endpoint([400]) as hook:
        result = deliver(hook.url, SECRET, PAYLOAD, "k", retries=3, backoff=0, sleep=lambda s: None)
    assert not result.ok and result.attempts == 1 and len(hook.received) == 1


def test_unreachable_endpoint_is_retried_then_reported(caplog):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    result = deliver(
        f"http://127.0.0.1:{port}/x?token=abc",
        SECRET,
        PAYLOAD,
        "k",
        retries=1,
        backoff=0,
        sleep=lambda s: None,
    )
    assert not result.ok and result.attempts == 2
    assert result.error.startswith(f"http://127.0.0.1:{port} unreachable")


def test_secret_and_url_tokens_never_appear_in_logs_or_errors(caplog):
    caplog.set_level(logging.DEBUG)
    with endpoint([500, 500, 500]) as hook:
        result = deliver(hook.url, SECRET, PAYLOAD, "k", retries=2, backoff=0, sleep=lambda s: None)
    text = caplog.text + result.error
    assert caplog.records and SECRET not in text and "token=abc" not in text


def test_a_url_without_a_secret_is_refused():
    with pytest.raises(WebhookNotConfigured, match="TRIGGER_WEBHOOK_SECRET"):
        deliver("http://127.0.0.1:9/", "", PAYLOAD, "k")


def test_waits_are_jittered_between_half_and_all_of_each_step():
    waits: list[float] = []
    with endpoint([503] * 6) as hook:
        deliver(hook.url, SECRET, PAYLOAD, "k", retries=5, backoff=1.0, sleep=waits.append)
    steps = [1.0, 2.0, 4.0, 8.0, 16.0]
    assert all(step / 2 <= wait <= step for wait, step in zip(waits, steps, strict=True))
    assert len(set(waits)) > 1  # random draws, not the bare steps


def test_retry_after_is_honoured_as_the_least_wait_and_capped():
    waits: list[float] = []
    with endpoint([503, 429, 503], headers=[{"Retry-After": "7"}, {"Retry-After": "900"}, {}]) as h:
        result = deliver(
            h.url, SECRET, PAYLOAD, "k", retries=4, backoff=0.01, sleep=waits.append, max_delay=60
        )
    assert result.ok and result.attempts == 4 and len(h.received) == 4
    assert waits[0] == 7.0 and waits[1] == 60.0 and waits[2] < 1.0


def test_retry_after_as_an_http_date_and_garbage():
    from email.utils import formatdate

    from personalization_plugin.triggers.webhooks import retry_after_seconds

    now = time.time()
    assert 29 <= retry_after_seconds(formatdate(now + 30, usegmt=True), now=now) <= 31
    assert retry_after_seconds(formatdate(now - 30, usegmt=True), now=now) == 0.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None
