"""Triggers fire once per occasion, only with consent, rate-limited, with products."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from personalization_plugin import signals
from personalization_plugin.models import PrivacyChoice
from personalization_plugin.triggers.delivery import run_due
from personalization_plugin.triggers.models import Message, TriggerFiring
from personalization_plugin.triggers.scan import scan
from personalization_plugin.triggers.webhooks import verify_signature
from tests.segments.factories import event, orders, products

from .occasions import abandoned_cart
from .server import endpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def fired():
    received: list[dict] = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    signals.trigger_fired.connect(receiver)
    yield received
    signals.trigger_fired.disconnect(receiver)


def test_abandoned_cart_fires_once_per_occasion(fired):
    pid = abandoned_cart()
    first = scan(kinds=["abandoned_cart"])
    second = scan(kinds=["abandoned_cart"])
    assert first.fired == 1 and second.fired == 0 and second.already_fired == 1
    assert TriggerFiring.objects.count() == 1
    assert len(fired) == 1
    assert fired[0]["kind"] == "abandoned_cart" and fired[0]["customer_id"] == "7"
    assert fired[0]["payload"]["details"]["cart"] == [pid]
    assert isinstance(fired[0]["payload"]["products"], list)


def test_cart_still_fresh_does_not_fire():
    abandoned_cart(hours_ago=0.5)
    assert scan(kinds=["abandoned_cart"]).fired == 0


def test_a_new_cart_after_an_order_is_a_new_occasion(personalization):
    personalization(TRIGGER_MIN_HOURS_BETWEEN=0)
    abandoned_cart(hours_ago=30)
    assert scan(kinds=["abandoned_cart"]).fired == 1
    orders("7", [1])
    abandoned_cart(hours_ago=3)
    assert scan(kinds=["abandoned_cart"]).fired == 1
    assert TriggerFiring.objects.count() == 2


def test_opted_out_customer_never_fires(fired):
    abandoned_cart()
    PrivacyChoice.objects.create(subject="c:7", consent="denied")
    report = scan()
    assert report.fired == 0 and report.no_consent == 1 and fired == []


def test_required_consent_fires_only_after_the_customer_agreed(personalization):
    personalization(CONSENT_MODE="required")
    abandoned_cart()
    assert scan().fired == 0
    PrivacyChoice.objects.create(subject="c:7", consent="granted")
    from personalization_plugin.consent import forget_cached_consent

    forget_cached_consent()
    assert scan().fired == 1


def test_anonymous_visitors_never_fire():
    (pid,) = products(1)
    event("cart_add", visitor="anon", product_id=pid, at=timezone.now() - timedelta(hours=3))
    assert scan().candidates == 0


def test_one_message_per_shopper_within_the_rate_limit():
    abandoned_cart()
    (other,) = products(1)
    for _ in range(3):
        event("view", customer="7", product_id=other, days_ago=1)
    report = scan(kinds=["abandoned_cart", "browse_abandonment"])
    assert report.fired == 1 and report.rate_limited == 1


def test_browse_abandonment_names_the_product_viewed_repeatedly(fired):
    viewed, carted = products(2)
    for _ in range(3):
        event("view", customer="8", product_id=viewed, days_ago=1)
        event("view", customer="8", product_id=carted, days_ago=1)
    event("cart_add", customer="8", product_id=carted, days_ago=0.5)
    event("purchase", customer="8", product_id=carted, order_id="o", price="5", days_ago=0.4)
    assert scan(kinds=["browse_abandonment"]).fired == 1
    assert fired[0]["payload"]["details"] == {"product_id": viewed, "views": 3}


def test_win_back_fires_for_customers_past_their_usual_interval(fired):
    orders("9", [60, 50, 40])  # every 10 days, silent for 40
    orders("10", [25, 15, 5])  # still on rhythm
    report = scan(kinds=["win_back"])
    assert report.fired == 1
    assert fired[0]["customer_id"] == "9"
    assert fired[0]["payload"]["details"]["orders"] == 3


def test_dry_run_fires_nothing():
    abandoned_cart()
    assert scan(dry_run=True).fired == 1
    assert not TriggerFiring.objects.exists()


def test_webhook_receives_a_signed_payload_with_the_delivery_id(personalization):
    abandoned_cart()
    with endpoint([500]) as hook:
        personalization(
            TRIGGER_WEBHOOK_URL=hook.url,
            TRIGGER_WEBHOOK_SECRET="hook-secret",
            TRIGGER_WEBHOOK_BACKOFF_SECONDS=0.01,
        )
        report = scan()
        assert report.queued == 1 and len(hook.received) == 1  # one attempt, no waiting
        run_due(now=timezone.now() + timedelta(seconds=1))
    firing = TriggerFiring.objects.get()
    message = Message.objects.get()
    assert firing.delivery == "delivered" and message.status == "sent" and message.attempts == 2
    got = hook.received[-1]
    assert got.headers["Idempotency-Key"] == str(message.delivery_id)
    assert verify_signature(
        "hook-secret",
        got.body,
        got.headers["X-Personalization-Timestamp"],
        got.headers["X-Personalization-Signature"],
    )
    assert json.loads(got.body)["idempotency_key"] == firing.idempotency_key
    assert json.loads(got.body)["delivery_id"] == str(message.delivery_id)


def test_failed_delivery_is_recorded_without_the_secret(personalization):
    abandoned_cart()
    with endpoint([500] * 5) as hook:
        personalization(
            TRIGGER_WEBHOOK_URL=hook.url,
            TRIGGER_WEBHOOK_SECRET="hook-secret",
            TRIGGER_WEBHOOK_RETRIES=1,
            TRIGGER_WEBHOOK_BACKOFF_SECONDS=0,
        )
        scan()
        run_due(now=timezone.now() + timedelta(seconds=1))
    firing = TriggerFiring.objects.get()
    message = Message.objects.get()
    assert message.status == "gave_up" and message.reason == "retries_exhausted"
    assert firing.delivery == "failed" and "HTTP 500" in firing.last_error
    assert "hook-secret" not in firing.last_error and "token" not in firing.last_error


def test_erasure_removes_the_trigger_ledger():
    from personalization_plugin.privacy.erasure import erase

    abandoned_cart()
    scan()
    erase(customer_id="7")
    assert not TriggerFiring.objects.exists()


def test_command_reports_counts(capsys):
    abandoned_cart()
    call_command("personalization_triggers", "--kind", "abandoned_cart", "--limit", "10")
    out = capsys.readouterr().out
    assert "fired" in out and "Fired 1 trigger(s)." in out


def test_the_cursor_reaches_every_candidate_across_runs():
    """35 abandoned carts, 10 per run: four runs look at all 35, none twice in a pass."""
    (pid,) = products(1)
    for n in range(35):
        event(
            "cart_add",
            customer=str(100 + n),
            product_id=pid,
            at=timezone.now() - timedelta(hours=2, minutes=n),
        )
    seen: list[int] = []
    for _ in range(4):
        seen.append(scan(kinds=["abandoned_cart"], limit=10).candidates)
    assert seen == [10, 10, 10, 5]
    assert TriggerFiring.objects.filter(kind="abandoned_cart").count() == 35
    assert scan(kinds=["abandoned_cart"], limit=10).already_fired == 10  # a new pass


def test_a_limit_below_one_is_refused_before_the_cursor_moves():
    from personalization_plugin.triggers.models import TriggerScanCursor

    with pytest.raises(ValueError, match="limit must be at least 1"):
        scan(kinds=["abandoned_cart"], limit=0)
    assert not TriggerScanCursor.objects.exists()
