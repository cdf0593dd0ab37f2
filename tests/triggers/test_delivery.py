"""Journey messages end to end: events -> scan -> task -> a real HTTP receiver, once.

Retries are driven by `run_due(now=...)` with a clock the test moves, never by waiting
or by mocking the network: the receiver is a real HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from personalization_plugin import signals
from personalization_plugin.consent import forget_cached_consent
from personalization_plugin.models import PrivacyChoice
from personalization_plugin.triggers.delivery import run_due, send
from personalization_plugin.triggers.models import Message, TriggerFiring
from personalization_plugin.triggers.scan import scan
from personalization_plugin.triggers.webhooks import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify_signature,
)

from .occasions import abandoned_cart
from .server import Endpoint, endpoint

SECRET = "journey-hook-secret"


@pytest.fixture(autouse=True)
def _fresh_consent_cache():
    """Consent and preferences are cached per process; a choice made in one test must
    not outlive it."""
    from personalization_plugin.privacy.preferences import forget_cached

    forget_cached_consent()
    forget_cached()
    yield
    forget_cached_consent()
    forget_cached()


@pytest.fixture
def hook_settings(personalization):
    def configure(hook: Endpoint, **extra: object) -> None:
        values = {
            "TRIGGER_WEBHOOK_URL": hook.url,
            "TRIGGER_WEBHOOK_SECRET": SECRET,
            "TRIGGER_WEBHOOK_BACKOFF_SECONDS": 10.0,
            "TRIGGER_WEBHOOK_MAX_DELAY_SECONDS": 600.0,
        }
        personalization(**{**values, **extra})

    return configure


@pytest.fixture
def held_tasks(settings):
    """A real django-tasks backend that keeps enqueued tasks (like a queue with no worker
    running yet), so a test can act between the scan and the send."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from django_tasks import task_backends

    backend = task_backends["default"]
    yield backend
    backend.clear()


def work(backend) -> list[str]:
    """Run the held tasks that are due now, as a worker would; returns their results."""
    ready = [
        r for r in backend.results if r.task.name == "send_message" and r.task.run_after is None
    ]
    backend.clear()
    return [r.task.call(*r.args, **r.kwargs) for r in ready]


def verified(hook: Endpoint) -> list[dict]:
    """The bodies a receiver acted on (2xx) whose signature checks out."""
    return [
        json.loads(r.body)
        for r in hook.accepted()
        if verify_signature(
            SECRET, r.body, r.headers[TIMESTAMP_HEADER], r.headers[SIGNATURE_HEADER]
        )
    ]


@pytest.mark.django_db
def test_a_receiver_failing_twice_with_retry_after_gets_the_message_exactly_once(hook_settings):
    pid = abandoned_cart()
    start = timezone.now()
    retry = {"Retry-After": "120"}
    with endpoint([503, 503], headers=[retry, retry]) as hook:
        hook_settings(hook)
        assert scan(now=start).fired == 1
        message = Message.objects.get()
        assert message.status == "failed" and message.attempts == 1
        assert message.next_attempt_at >= timezone.now() + timedelta(seconds=110)

        assert run_due(now=start + timedelta(seconds=60)) == {}  # Retry-After not yet over
        assert run_due(now=start + timedelta(minutes=5)) == {"failed": 1}
        assert run_due(now=start + timedelta(minutes=15)) == {"sent": 1}
        assert run_due(now=start + timedelta(hours=5)) == {}
        assert scan(now=start + timedelta(minutes=20)).already_fired == 1

    message.refresh_from_db()
    assert message.status == "sent" and message.attempts == 3 and message.last_status == 200
    assert [r.status for r in hook.received] == [503, 503, 200]
    assert {r.headers[IDEMPOTENCY_HEADER] for r in hook.received} == {str(message.delivery_id)}
    assert [r.headers["X-Personalization-Attempt"] for r in hook.received] == ["1", "2", "3"]
    (payload,) = verified(hook)
    assert payload["delivery_id"] == str(message.delivery_id)
    assert payload["type"] == "abandoned_cart" and payload["details"]["cart"] == [pid]
    assert TriggerFiring.objects.get().delivery == "delivered"


@pytest.mark.django_db
def test_the_wait_a_receiver_asks_for_is_capped(hook_settings):
    abandoned_cart()
    with endpoint([429], headers=[{"Retry-After": "86400"}]) as hook:
        hook_settings(hook, TRIGGER_WEBHOOK_MAX_DELAY_SECONDS=300.0)
        before = timezone.now()
        scan()
    wait = Message.objects.get().next_attempt_at - before
    assert timedelta(seconds=299) <= wait <= timedelta(seconds=302)


@pytest.mark.django_db
def test_retries_stop_after_the_configured_number_and_the_row_says_so(hook_settings):
    abandoned_cart()
    with endpoint([500] * 9) as hook:
        hook_settings(hook, TRIGGER_WEBHOOK_RETRIES=2)
        scan()
        for hours in (1, 2, 3, 4):
            run_due(now=timezone.now() + timedelta(hours=hours))
    message = Message.objects.get()
    assert len(hook.received) == 3 and verified(hook) == []
    assert message.status == "gave_up" and message.reason == "retries_exhausted"
    assert "HTTP 500" in message.last_error and "token" not in message.last_error


@pytest.mark.django_db
def test_a_client_error_is_final(hook_settings):
    abandoned_cart()
    with endpoint([410]) as hook:
        hook_settings(hook)
        scan()
        run_due(now=timezone.now() + timedelta(hours=1))
    message = Message.objects.get()
    assert len(hook.received) == 1
    assert message.status == "gave_up" and message.reason == "client_error"


@pytest.mark.django_db
def test_an_unreachable_receiver_is_retried(personalization):
    abandoned_cart()
    with endpoint() as hook:
        url = hook.url
    personalization(TRIGGER_WEBHOOK_URL=url, TRIGGER_WEBHOOK_SECRET=SECRET)  # nobody listens
    scan()
    message = Message.objects.get()
    assert message.status == "failed" and "unreachable" in message.last_error


@pytest.mark.django_db
def test_the_scan_only_queues_the_task_does_the_sending(hook_settings, held_tasks):
    abandoned_cart()
    with endpoint() as hook:
        hook_settings(hook)
        assert scan().queued == 1
        assert hook.received == [] and Message.objects.get().status == "queued"
        assert work(held_tasks) == ["sent"]
    assert len(verified(hook)) == 1


@pytest.mark.django_db
def test_a_retry_is_enqueued_for_later_on_a_backend_that_can_wait(hook_settings, held_tasks):
    abandoned_cart()
    with endpoint([503], headers=[{"Retry-After": "90"}]) as hook:
        hook_settings(hook)
        scan()
        assert work(held_tasks) == ["failed"]
    (retry,) = [r for r in held_tasks.results if r.task.name == "send_message"]
    assert retry.task.run_after == Message.objects.get().next_attempt_at
    assert retry.args == [str(Message.objects.get().delivery_id)]


@pytest.mark.django_db
def test_an_opted_out_customer_never_gets_one(hook_settings):
    abandoned_cart()
    PrivacyChoice.objects.create(subject="c:7", consent="denied")
    with endpoint() as hook:
        hook_settings(hook)
        assert scan().no_consent == 1
        run_due(now=timezone.now() + timedelta(hours=1))
    assert hook.received == [] and not Message.objects.exists()


@pytest.mark.django_db
def test_opting_out_between_scan_and_send_stops_the_message(hook_settings, held_tasks):
    sent: list[dict] = []

    def receiver(sender, **kwargs):
        sent.append(kwargs)

    signals.trigger_fired.connect(receiver)
    abandoned_cart()
    try:
        with endpoint() as hook:
            hook_settings(hook)
            scan()
            PrivacyChoice.objects.create(subject="c:7", consent="denied")
            forget_cached_consent()
            assert work(held_tasks) == ["suppressed"]
            run_due(now=timezone.now() + timedelta(hours=1))
    finally:
        signals.trigger_fired.disconnect(receiver)
    message = Message.objects.get()
    assert hook.received == [] and sent == []
    assert message.status == "suppressed" and message.reason == "no_consent"


@pytest.mark.django_db
def test_switching_the_kind_off_between_scan_and_send_stops_the_message(hook_settings, held_tasks):
    from personalization_plugin.privacy.preferences import set_message_enabled
    from personalization_plugin.tracking.identity import Visitor

    abandoned_cart()
    with endpoint() as hook:
        hook_settings(hook)
        scan()
        set_message_enabled(Visitor(visitor_id="x" * 32, customer_id="7"), "abandoned_cart", False)
        work(held_tasks)
    message = Message.objects.get()
    assert hook.received == [] and message.reason == "switched_off"


@pytest.mark.django_db
def test_erasure_between_scan_and_send_stops_the_message_and_leaves_no_id(
    hook_settings, held_tasks
):
    from personalization_plugin.privacy.erasure import erase

    abandoned_cart()
    with endpoint() as hook:
        hook_settings(hook)
        scan()
        delivery_id = str(Message.objects.get().delivery_id)
        erase(customer_id="7")
        work(held_tasks)
        assert send(delivery_id, now=timezone.now() + timedelta(hours=1)) == "suppressed"
    message = Message.objects.get()
    assert hook.received == []
    assert message.status == "suppressed" and message.reason == "erased"
    assert message.subject == "" and message.firing is None


@pytest.mark.django_db
def test_without_a_webhook_the_signal_is_the_delivery_and_comes_once():
    sent: list[dict] = []

    def receiver(sender, **kwargs):
        sent.append(kwargs)

    signals.trigger_fired.connect(receiver)
    try:
        abandoned_cart()
        scan()
        run_due(now=timezone.now() + timedelta(hours=1))
    finally:
        signals.trigger_fired.disconnect(receiver)
    message = Message.objects.get()
    assert message.status == "sent"
    assert [s["delivery_id"] for s in sent] == [str(message.delivery_id)]


@pytest.mark.django_db
def test_a_sender_that_died_mid_attempt_is_replaced_after_its_claim_lapses(
    hook_settings, held_tasks
):
    from personalization_plugin.triggers.delivery import claim

    abandoned_cart()
    with endpoint() as hook:
        hook_settings(hook)
        scan()
        message = Message.objects.get()
        assert claim(str(message.delivery_id), timezone.now())  # ...and then it died
        message.refresh_from_db()
        assert work(held_tasks) == ["sending"] and hook.received == []
        assert run_due(now=timezone.now()) == {}  # its claim still holds
        assert run_due(now=message.claimed_until + timedelta(seconds=1)) == {"sent": 1}
    assert len(verified(hook)) == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_senders_deliver_a_message_once(hook_settings, held_tasks):
    abandoned_cart()
    with endpoint(delay=0.3) as hook:
        hook_settings(hook)
        scan()
        delivery_id = str(Message.objects.get().delivery_id)
        barrier = threading.Barrier(2)
        results: list[str] = []

        def sender() -> None:
            from django.db import connection

            barrier.wait()
            try:
                results.append(send(delivery_id))
            finally:
                connection.close()

        threads = [threading.Thread(target=sender) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    assert sorted(results) == ["sending", "sent"]  # the loser saw the winner's claim
    assert len(hook.received) == 1 and len(verified(hook)) == 1
    assert Message.objects.get().attempts == 1
