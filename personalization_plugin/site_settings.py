"""Settings the store owner changes in the Wagtail admin, overriding PERSONALIZATION.

Every field is optional: an empty field means "use the value from settings.py". The
non-empty ones are read by `conf.plugin_settings` through `overrides()`, cached for a
few seconds per process and dropped at once when the settings are saved here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting

from personalization_plugin.core.events import INTERACTION_EVENTS, EventType

WEIGHTED_EVENTS = tuple(str(e) for e in INTERACTION_EVENTS)


def validate_weights(value: Any) -> None:
    if value in (None, ""):
        return
    if not isinstance(value, dict):
        raise ValidationError(
            'Give event weights as a JSON object, e.g. {"view": 1, "purchase": 10}.'
        )
    known = {t.value for t in EventType}
    for key, weight in value.items():
        if key not in known:
            raise ValidationError(
                f"{key!r} is not an event type; use one of: {', '.join(sorted(known))}."
            )
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise ValidationError(f"The weight of {key!r} must be a number, got {weight!r}.")


class _OnOffDefault(forms.NullBooleanSelect):
    """On / Off / "as in settings.py" instead of Django's Yes / No / Unknown."""

    def __init__(self, attrs: Any = None) -> None:
        super().__init__(attrs)
        self.choices = [
            ("unknown", _("As in settings.py")),
            ("true", _("On")),
            ("false", _("Off")),
        ]


class _DefaultLabelSelect(forms.Select):
    """A select whose empty choice reads "As in settings.py" instead of dashes."""

    @property  # type: ignore[override]  # a property where Django has an attribute
    def choices(self) -> list[Any]:
        return self._choices

    @choices.setter
    def choices(self, value: Any) -> None:
        self._choices = [
            (v, _("As in settings.py") if v in ("", None) else label) for v, label in value
        ]


class _JsonOrEmpty(forms.Textarea):
    """Shows an unset JSON field as an empty box rather than the word "null"."""

    def format_value(self, value: Any) -> Any:
        return "" if value in ("null", None) else super().format_value(value)


class PersonalizationSettings(BaseGenericSetting):
    """The owner's overrides of the PERSONALIZATION settings (one row per install)."""

    class Consent(models.TextChoices):
        IMPLIED = "implied", _("Implied: track unless the shopper declines")
        REQUIRED = "required", _("Required: store nothing until the shopper agrees")

    enabled = models.BooleanField(
        null=True,
        blank=True,
        verbose_name=_("Personalization on"),
        help_text=_(
            "Off: no tracking and only non-personalized lists. Empty: settings.py decides."
        ),
    )
    consent_mode = models.CharField(max_length=8, blank=True, choices=Consent.choices)
    event_weights = models.JSONField(
        null=True,
        blank=True,
        validators=[validate_weights],
        help_text=_(
            'How much each action counts when training, e.g. {"view": 1, "cart_add": 4, "purchase": 10}.'
        ),
    )
    retention_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Events older than this many days are deleted."),
    )
    max_category_share = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0.05), MaxValueValidator(1.0)],
        help_text=_("Largest share of one category in a list (0.05-1)."),
    )
    mmr_lambda = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        verbose_name=_("Relevance vs variety"),
        help_text=_("1 = relevance only; lower values favour variety (MMR lambda)."),
    )
    discovery_every = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(50)],
        help_text=_(
            "One discovery item from outside a shopper's usual categories every N items (0 = off)."
        ),
    )
    sensitive_categories = models.CharField(
        max_length=1000,
        blank=True,
        help_text=_("Category ids never used for personalization, separated by commas."),
    )
    training_hour = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(23)],
        help_text=_(
            "Hour of the day (UTC, 0-23) for the daily retraining run by `personalization_schedule`."
        ),
    )

    panels = [
        MultiFieldPanel(
            [
                FieldPanel("enabled", widget=_OnOffDefault),
                FieldPanel("consent_mode", widget=_DefaultLabelSelect),
                FieldPanel("retention_days"),
                FieldPanel("sensitive_categories"),
            ],
            heading=_("Privacy"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("event_weights", widget=_JsonOrEmpty(attrs={"rows": 3})),
                FieldPanel("training_hour"),
            ],
            heading=_("Training"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("max_category_share"),
                FieldPanel("mmr_lambda"),
                FieldPanel("discovery_every"),
            ],
            heading=_("Variety in lists"),
        ),
    ]

    class Meta:
        verbose_name = _("Personalization settings")

    def overrides(self) -> dict[str, Any]:
        """The PERSONALIZATION keys this row sets (empty fields are left out)."""
        values: dict[str, Any] = {
            "ENABLED": self.enabled,
            "CONSENT_MODE": self.consent_mode or None,
            "EVENT_WEIGHTS": self.event_weights or None,
            "RETENTION_DAYS": self.retention_days,
            "MAX_CATEGORY_SHARE": self.max_category_share,
            "MMR_LAMBDA": self.mmr_lambda,
            "DISCOVERY_EVERY": self.discovery_every,
            "SENSITIVE_CATEGORIES": [
                c.strip() for c in self.sensitive_categories.split(",") if c.strip()
            ]
            or None,
            "TRAINING_HOUR": self.training_hour,
        }
        return {key: value for key, value in values.items() if value is not None}


def load_overrides() -> dict[str, Any]:
    """The saved overrides, without creating the row (a read never writes)."""
    row = PersonalizationSettings.objects.order_by("pk").first()
    return row.overrides() if row is not None else {}
