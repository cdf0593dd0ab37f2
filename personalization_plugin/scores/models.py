"""A trained score model: its coefficients (readable per feature) and its evaluation."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class ScoreModel(models.Model):
    """Logistic regression coefficients for one score, with the time-split AUC it reached.

    The newest row of each kind is the active one.
    """

    class Kind(models.TextChoices):
        CHURN_RISK = "churn_risk", "Churn risk"
        PURCHASE_PROPENSITY = "purchase_propensity", "Purchase propensity"

    kind = models.CharField(max_length=24, choices=Kind.choices, db_index=True)
    features = models.JSONField(default=list, help_text="Feature names, in coefficient order")
    coefficients = models.JSONField(default=list, help_text="Per standardized feature")
    intercept = models.FloatField(default=0.0)
    means = models.JSONField(default=list)
    scales = models.JSONField(default=list)
    metrics = models.JSONField(default=dict, help_text="auc, baseline_auc, sizes, cutoffs")
    trained_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-trained_at", "-pk"]
        get_latest_by = "trained_at"
        db_table = "personalization_scoremodel"

    def __str__(self) -> str:
        auc = self.metrics.get("auc")
        return f"{self.get_kind_display()} ({self.trained_at:%Y-%m-%d}, AUC {auc})"
