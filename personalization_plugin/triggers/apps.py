from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TriggersConfig(AppConfig):
    """Abandoned cart, browse abandonment and win-back messages, once per occasion."""

    name = "personalization_plugin.triggers"
    label = "personalization_triggers"
    verbose_name = _("Personalization: triggers")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from personalization_plugin.triggers import signal_handlers

        signal_handlers.connect()
