"""Storage models of the core app: events, privacy choices, model versions, merchandising.

Storage only: these import nothing but `core`. Feature apps (segments, scores, triggers,
experiments) keep their own models in their own apps.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from personalization_plugin.core import events, subjects
from personalization_plugin.core.events import EventType
from personalization_plugin.site_settings import PersonalizationSettings


class Event(models.Model):
    """One thing a shopper did, as stored after intake. Written in batches, never per request."""

    event_id = models.CharField(
        max_length=32,
        unique=True,
        help_text="Idempotency key: a flush retried after a crash never stores an event twice.",
    )
    type = models.CharField(
        max_length=16,
        choices=[(t.value, t.name.replace("_", " ").lower()) for t in EventType],
        db_index=True,
    )
    # Column sizes come from the event schema, so a validated event always fits its row.
    visitor_id = models.CharField(max_length=events.MAX_ID_LENGTH, db_index=True)
    customer_id = models.CharField(max_length=events.MAX_ID_LENGTH, blank=True, db_index=True)
    product_id = models.CharField(max_length=events.MAX_ID_LENGTH, blank=True, db_index=True)
    category_id = models.CharField(max_length=events.MAX_ID_LENGTH, blank=True)
    session_id = models.CharField(max_length=events.MAX_ID_LENGTH, blank=True)
    order_id = models.CharField(max_length=events.MAX_ID_LENGTH, blank=True)
    query = models.CharField(max_length=events.MAX_QUERY_LENGTH, blank=True)
    quantity = models.PositiveIntegerField(default=1)
    price = models.DecimalField(
        max_digits=events.PRICE_MAX_DIGITS,
        decimal_places=events.PRICE_DECIMAL_PLACES,
        null=True,
        blank=True,
    )
    currency = models.CharField(max_length=events.CURRENCY_LENGTH, blank=True)
    placement = models.CharField(max_length=events.MAX_LABEL_LENGTH, blank=True)
    model_version = models.CharField(max_length=events.MAX_LABEL_LENGTH, blank=True)
    position = models.IntegerField(null=True, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField(db_index=True)
    stored_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["type", "occurred_at"], name="sp_event_type_time"),
            # "which events were stored since the last roll-up?" (experiment roll-ups)
            models.Index(fields=["stored_at"], name="sp_event_stored"),
        ]
        permissions = [
            ("view_personalization", "Can see personalization data and reports"),
            ("view_customers", "Can see individual customers' personalization data"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.product_id or self.category_id or self.query} by {self.visitor_id[:8]}"

    @property
    def subject(self) -> str:
        return subjects.of(self.customer_id, self.visitor_id)


class PrivacyChoice(models.Model):
    """A shopper's consent or opt-out, keyed by visitor id or customer id.

    The cookie carries the choice for anonymous visitors; this row makes it stick for a
    signed-in customer across devices and is what the audit trail shows.
    """

    class Consent(models.TextChoices):
        GRANTED = "granted"
        DENIED = "denied"

    subject = models.CharField(
        max_length=140, unique=True, help_text='"v:<visitor id>" or "c:<customer id>"'
    )
    consent = models.CharField(max_length=8, choices=Consent.choices)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.subject}: {self.consent}"


class ErasedShopperQuerySet(models.QuerySet["ErasedShopper"]):
    """Lookups of the erasure ledger by subject, honouring every hash key (rotations)."""

    def matching(self, wanted: Iterable[str]) -> set[str]:
        """Which of these subjects have a ledger row (under the current or an older key)."""
        by_digest = subjects.digest_map(wanted, "erased", 64)
        if not by_digest:
            return set()
        found: set[str] = set()
        digests = list(by_digest)
        for lo in range(0, len(digests), 500):  # SQLite's bound-variable limit
            chunk = digests[lo : lo + 500]
            found.update(self.filter(digest__in=chunk).values_list("digest", flat=True))
        return {by_digest[d] for d in found}


class ErasedShopper(models.Model):
    """The erasure ledger: a keyed hash of each erased subject and when it was erased.

    Imports of past orders skip these subjects, training leaves them out, and a model
    artifact trained before `erased_at` drops their rows when it is loaded, so neither a
    re-import nor an artifact rewritten by an overlapping erasure brings anyone back.
    Only the HMAC (`core.subjects.digest`, keyed with HASH_KEY) is kept, never the id.
    The intake drops events that carry an erased *visitor* id (`tracking.screening`), which
    only a replayed cookie can: forget-me drops the cookie, so a returning shopper who
    consents is tracked under a new visitor id, and a signed-in customer as usual.
    """

    digest = models.CharField(max_length=64, unique=True)
    # Indexed: its newest value is the erasure generation without Redis
    # (`tracking.erasure_generation`), read on every per-process cache lookup.
    erased_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = ErasedShopperQuerySet.as_manager()

    def __str__(self) -> str:
        return f"erased {self.digest[:12]}…"


class DeadLetterEvent(models.Model):
    """An event the database refused to store, kept aside so that it stops nothing else.

    The flush retries a failing batch in halves down to single rows; a row that still
    fails is moved here with the database's reason, and the rest of the batch is stored.
    `raw` is the event's JSON with every non-ASCII character escaped (`\\u0000`,
    `\\ud800`), so any database can hold it whatever it contains. The shopper ids are kept
    in their own columns (cleaned the same way) so that erasure and export find the row.
    """

    fingerprint = models.CharField(
        max_length=64,
        unique=True,
        help_text="SHA-256 of the raw entry: a retried flush never dead-letters it twice.",
    )
    event_id = models.CharField(max_length=64, blank=True)
    type = models.CharField(max_length=32, blank=True)
    visitor_id = models.CharField(max_length=events.MAX_ID_LENGTH, blank=True, db_index=True)
    customer_id = models.CharField(max_length=events.MAX_ID_LENGTH, blank=True, db_index=True)
    raw = models.TextField(help_text="The entry as ASCII-escaped JSON.")
    reason = models.CharField(max_length=500)
    backend = models.CharField(max_length=16, blank=True)
    failed_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-failed_at"]
        verbose_name = _("dead-letter event")
        verbose_name_plural = _("dead-letter events")

    def __str__(self) -> str:
        return f"{self.type or 'unreadable'} event refused: {self.reason[:60]}"


class DroppedEventCount(models.Model):
    """How many events the intake dropped on one day, and why ("bot", "erased").

    Dropped events are not stored anywhere; this count is what the owner sees of them.
    Web processes count in Redis (or in memory without Redis) and every flush folds the
    counts in here.
    """

    day = models.DateField()
    reason = models.CharField(max_length=16)
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "reason"], name="sp_dropped_day_reason")
        ]

    def __str__(self) -> str:
        return f"{self.day}: {self.count} dropped ({self.reason})"


class ShopperPreference(models.Model):
    """What a shopper asked for in the privacy center, keyed by visitor or customer id.

    Kept apart from `PrivacyChoice` (consent) because it changes what is shown and sent,
    not whether anything is stored; erasure deletes it with the rest of their data.
    """

    subject = models.CharField(
        max_length=140, unique=True, help_text='"v:<visitor id>" or "c:<customer id>"'
    )
    muted_categories = models.JSONField(
        default=list, blank=True, help_text=_("Category ids not to recommend to this shopper")
    )
    muted_messages = models.JSONField(
        default=list, blank=True, help_text=_("Trigger kinds this shopper does not want")
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"preferences of {self.subject[:10]}…"


class ModelVersion(models.Model):
    """A trained model artifact with its metrics. Exactly one is active at a time."""

    version = models.CharField(max_length=64, unique=True)
    algorithm = models.CharField(max_length=32)
    path = models.CharField(max_length=500, help_text="Artifact directory")
    params = models.JSONField(default=dict)
    metrics = models.JSONField(default=dict)
    n_users = models.PositiveIntegerField(default=0)
    n_items = models.PositiveIntegerField(default=0)
    n_interactions = models.PositiveIntegerField(default=0)
    training_seconds = models.FloatField(default=0.0)
    created_at = models.DateTimeField(default=timezone.now)
    is_active = models.BooleanField(default=False, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        get_latest_by = "created_at"
        permissions = [
            ("manage_models", "Can train, evaluate and roll back recommendation models"),
        ]

    def __str__(self) -> str:
        return f"{self.version} ({self.algorithm}{', active' if self.is_active else ''})"


class TrainingRun(models.Model):
    """One "Train now" from the admin: queued, running, then succeeded or failed.

    The admin request only creates this row and hands the run to the task backend (or, with
    django-tasks' ImmediateBackend, to a background thread), so it answers at once; the
    model page polls the row for the step and the outcome.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    step = models.CharField(max_length=120, blank=True)
    requested_by = models.CharField(max_length=150, blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"training {self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)


class MerchandisingRule(models.Model):
    """An owner's rule applied at serving time, without retraining."""

    class Action(models.TextChoices):
        PIN = "pin", _("Pin to a position")
        BOOST = "boost", _("Boost")
        BURY = "bury", _("Bury")
        EXCLUDE = "exclude", _("Exclude")

    class Target(models.TextChoices):
        PRODUCT = "product", _("Product")
        CATEGORY = "category", _("Category")

    action = models.CharField(max_length=8, choices=Action.choices)
    target_type = models.CharField(max_length=8, choices=Target.choices)
    target_id = models.CharField(max_length=128)
    placement = models.CharField(max_length=32, blank=True, help_text=_("Empty: every placement"))
    # A segment's slug (not a foreign key: storage sits below the segments app, and a
    # rule whose segment was deleted simply applies to nobody until it is edited).
    segment = models.CharField(
        max_length=60,
        blank=True,
        help_text=_("Empty: every shopper. Otherwise only shoppers in this segment."),
    )
    position = models.PositiveSmallIntegerField(
        default=1, help_text=_("For pins: 1 is the first slot")
    )
    strength = models.FloatField(
        default=1.0, help_text=_("For boost/bury: how strongly (1 = moderate)")
    )
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["placement", "action", "position"]

    def __str__(self) -> str:
        where = self.placement or "all placements"
        who = f" for segment {self.segment}" if self.segment else ""
        return f"{self.get_action_display()} {self.target_type} {self.target_id} in {where}{who}"

    def is_live(self, now=None) -> bool:
        now = now or timezone.now()
        if not self.enabled:
            return False
        if self.starts_at and now < self.starts_at:
            return False
        return not (self.ends_at and now >= self.ends_at)


__all__ = [
    "DeadLetterEvent",
    "DroppedEventCount",
    "ErasedShopper",
    "Event",
    "MerchandisingRule",
    "ModelVersion",
    "PersonalizationSettings",
    "PrivacyChoice",
    "ShopperPreference",
    "TrainingRun",
]
