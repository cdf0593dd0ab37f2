"""The ledger of fired triggers: its unique idempotency key makes each occasion fire once."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


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
