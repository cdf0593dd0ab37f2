from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoresConfig(AppConfig):
    """Churn risk and purchase propensity per customer."""

    name = "personalization_plugin.scores"
    label = "personalization_scores"
    verbose_name = _("Personalization: customer scores")
    default_auto_field = "django.db.models.BigAutoField"
