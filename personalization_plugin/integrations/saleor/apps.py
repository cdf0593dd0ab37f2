from __future__ import annotations

from django.apps import AppConfig


class SaleorIntegrationConfig(AppConfig):
    name = "personalization_plugin.integrations.saleor"
    label = "personalization_saleor"
    verbose_name = "Personalization for Saleor"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from personalization_plugin.core.registry import register_eraser
        from personalization_plugin.integrations.saleor.handlers import erase_checkouts

        register_eraser(erase_checkouts)  # checkout snapshots hold a customer's cart
