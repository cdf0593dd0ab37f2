from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExperimentsConfig(AppConfig):
    """A/B tests with a holdout on one placement, and what each arm earned."""

    name = "personalization_plugin.experiments"
    label = "personalization_experiments"
    verbose_name = _("Personalization: experiments")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from personalization_plugin.experiments import signal_handlers

        signal_handlers.connect()
