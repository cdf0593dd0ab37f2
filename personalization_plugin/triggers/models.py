"""The ledger of fired triggers: its unique idempotency key makes each occasion fire once."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TriggerFiring(models.Model):
    """One trigger fired for one shopper on one occasion, and how its webhook went."""

    class Kind(models.TextChoices):
        ABANDONED_CART = "abandoned_cart", "Abandoned cart"
        BROWSE_ABANDONMENT = "browse_abandonment", "Browse abandonment"
        WIN_BACK = "win_back", "Win-back"

    class Delivery(models.TextChoices):
        NONE = "", "No webhook configured"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed after retries"

    kind = models.CharField(max_length=24, choices=Kind.choices)
    subject = models.CharField(max_length=140, db_index=True)
    idempotency_key = models.CharField(max_length=64, unique=True)
    fired_at = models.DateTimeField(default=timezone.now, db_index=True)
    payload = models.JSONField(default=dict)
    delivery = models.CharField(max_length=12, choices=Delivery.choices, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-fired_at"]
        db_table = "personalization_triggerfiring"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.subject} at {self.fired_at:%Y-%m-%d %H:%M}"


class TriggerScanCursor(models.Model):
    """Where the last scan of a kind stopped: the latest-event time of the last customer
    taken. Only a timestamp, never a shopper id, so erasure has nothing to remove here."""

    kind = models.CharField(max_length=24, unique=True)
    before = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "personalization_triggerscancursor"

    def __str__(self) -> str:
        return f"{self.kind} scan cursor at {self.before or 'the newest'}"


class Message(models.Model):
    """One message of a firing, delivered by a task: the delivery ledger.

    `delivery_id` is sent with every attempt (the `Idempotency-Key` header and the
    payload's `delivery_id`), so a receiver that saw it already drops the repeat. A
    sender claims the row by moving it to SENDING with a conditional update: of two
    concurrent senders only one wins, and a sender that died mid-attempt is replaced
    once its claim (`claimed_until`) has lapsed. Retries are rows with status FAILED and
    a `next_attempt_at`, found by `delivery.run_due()`: no process sleeps waiting."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed, will retry")
        GAVE_UP = "gave_up", _("Gave up")
        SUPPRESSED = "suppressed", _("Not sent")

    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    firing = models.ForeignKey(
        TriggerFiring, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    step = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=40)
    subject = models.CharField(max_length=140, db_index=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    # Why a message was not sent or given up: "no_consent", "switched_off", "erased",
    # "client_error", "retries_exhausted", "not_configured".
    reason = models.CharField(max_length=40, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        db_table = "personalization_triggermessage"
        constraints = [
            models.UniqueConstraint(fields=["firing", "step"], name="one_message_per_step")
        ]

    def __str__(self) -> str:
        return f"{self.kind} message {self.delivery_id} ({self.status})"
