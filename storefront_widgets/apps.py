from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def forget_placeholders(*, setting: str, **kwargs: Any) -> None:
    """Rendered lazy placeholders depend on these settings (tests override them)."""
    if setting in {"TEMPLATES", "ROOT_URLCONF", "INSTALLED_APPS", "STATIC_URL"}:
        from storefront_widgets.rendering import clear_placeholder_cache

        clear_placeholder_cache()


class StorefrontWidgetsConfig(AppConfig):
    name = "storefront_widgets"
    verbose_name = _("Storefront widgets")

    def ready(self) -> None:
        from django.core.signals import setting_changed

        setting_changed.connect(forget_placeholders, dispatch_uid="sp-widgets-placeholders")
