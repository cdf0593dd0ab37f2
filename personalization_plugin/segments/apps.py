from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentsConfig(AppConfig):
    """Owner-defined groups of shoppers, their sizes, and content per segment."""

    name = "personalization_plugin.segments"
    label = "personalization_segments"
    verbose_name = _("Personalization: segments")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from personalization_plugin.segments import signal_handlers

        signal_handlers.connect(self)
