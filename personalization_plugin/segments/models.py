"""Segments, their sizes over time, and the batch population statistics.

The tables keep the names they had when these models lived in the core app.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from personalization_plugin.core.exceptions import InvalidRuleTree
from personalization_plugin.segments.rules import compile_tree


def validate_rules(value: Any) -> None:
    """Model/form validator: the rule tree compiles."""
    try:
        compile_tree(value)
    except InvalidRuleTree as exc:
        raise ValidationError(str(exc), code="invalid_rules") from None


class Segment(models.Model):
    """An owner-defined group of shoppers, by a tree of rules combined with all/any/not.

    When a shopper is in several segments, the one with the highest `priority` (then the
    lowest slug) is their primary one: variants are chosen deterministically.
    """

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.TextField(blank=True)
    enabled = models.BooleanField(default=True)
    priority = models.IntegerField(
        default=0, help_text=_("Higher wins when a shopper is in several segments.")
    )
    rules = models.JSONField(
        validators=[validate_rules],
        help_text=_(
            'Rule tree, e.g. {"all": [{"rule": "repeat_buyer"}, {"not": {"rule": "lapsed"}}]}'
        ),
    )
    builtin = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-priority", "slug"]
        db_table = "personalization_segment"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        validate_rules(self.rules)

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Rule trees are validated on every save, not only in forms: bad JSON never lands."""
        validate_rules(self.rules)
        super().save(*args, **kwargs)


class SegmentSize(models.Model):
    """How many shoppers were in a segment on a day (written by `personalization_segments`)."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="sizes")
    date = models.DateField()
    size = models.PositiveIntegerField()
    population = models.PositiveIntegerField(help_text="Shoppers evaluated")
    context_dependent = models.BooleanField(
        default=False, help_text="Uses request rules (device, UTM...): size counts without them"
    )
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["date", "segment"]
        db_table = "personalization_segmentsize"
        constraints = [
            models.UniqueConstraint(fields=["segment", "date"], name="sp_segment_size_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.segment_id} {self.date}: {self.size}/{self.population}"


class PopulationStats(models.Model):
    """Breakpoints over all customers (RFM quintiles, spend percentiles), computed in batch
    so that per-request rules compare one shopper against them without a query."""

    computed_at = models.DateTimeField(default=timezone.now, db_index=True)
    data = models.JSONField(default=dict)

    class Meta:
        get_latest_by = "computed_at"
        verbose_name_plural = "population stats"
        db_table = "personalization_populationstats"

    def __str__(self) -> str:
        return f"population stats {self.computed_at:%Y-%m-%d %H:%M}"
