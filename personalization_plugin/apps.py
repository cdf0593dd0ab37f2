from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PersonalizationConfig(AppConfig):
    """The core app: events, privacy choices, model versions, merchandising, serving."""

    name = "personalization_plugin"
    label = "personalization"
    verbose_name = _("Personalization")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from personalization_plugin import (
            checks,  # noqa: F401  (registers the system checks)
            signal_handlers,
        )

        signal_handlers.connect()
        from personalization_plugin.core import registry, subjects
        from personalization_plugin.privacy import preferences

        registry.register_eraser(preferences.erase_preferences)
        registry.register_eraser(subjects.forget_digests)
        from personalization_plugin.reports import rollups

        registry.register_eraser(rollups.erase_subjects)
        registry.register_category_mutes(preferences.muted_for_visitor)
