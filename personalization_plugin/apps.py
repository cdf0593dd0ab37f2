from __future__ import annotations

from django.apps import AppConfig


class PersonalizationConfig(AppConfig):
    name = "personalization_plugin"
    label = "personalization"
    verbose_name = "Personalization"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers system checks)
        from .tracking import receivers

        receivers.connect()

        from .engine import erasure as engine_erasure

        engine_erasure.register()  # drops erased shoppers' factors from model artifacts

        from .serving import cache as serving_cache

        serving_cache.register_eraser()  # drops erased shoppers' cached recommendation lists
