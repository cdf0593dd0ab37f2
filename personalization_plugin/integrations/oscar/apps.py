from __future__ import annotations

from django.apps import AppConfig


class OscarPersonalizationConfig(AppConfig):
    """Connects Oscar's signals to tracking when Oscar and the plugin are both installed."""

    name = "personalization_plugin.integrations.oscar"
    label = "personalization_oscar"
    verbose_name = "Personalization for django-oscar"

    def ready(self) -> None:
        from personalization_plugin.integrations.oscar.receivers import connect_signals

        connect_signals()
