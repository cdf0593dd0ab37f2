"""Everything the core app wires when Django is ready, in one place.

Connected from `PersonalizationConfig.ready()`, never at import time, so importing a
module has no side effects and each connection happens once per process.
"""

from __future__ import annotations

from typing import Any

from django.core.signals import setting_changed
from django.db.models.signals import post_delete, post_save

from personalization_plugin.core import registry
from personalization_plugin.core.conf import plugin_settings, reload_on_setting_changed


def forget_owner_overrides(**kwargs: Any) -> None:
    """The owner saved or deleted their settings: re-read them on next access."""
    plugin_settings.forget_overrides()


def forget_merchandising(**kwargs: Any) -> None:
    from personalization_plugin.serving.rules import forget_rules

    forget_rules()


def connect() -> None:
    """Connect the core app's receivers and register its erasers and overlay (idempotent)."""
    from personalization_plugin.engine.erasure import erase_subjects as erase_model_factors
    from personalization_plugin.models import MerchandisingRule
    from personalization_plugin.privacy.erasure import erased_subjects
    from personalization_plugin.serving.cache import erase_subjects as erase_cached_lists
    from personalization_plugin.serving.fragments import erase_subjects as erase_fragments
    from personalization_plugin.serving.history import erase_subjects as erase_purchase_lists
    from personalization_plugin.site_settings import PersonalizationSettings, load_overrides
    from personalization_plugin.tracking import receivers
    from personalization_plugin.tracking.dead_letters import erase_dead_letters

    setting_changed.connect(reload_on_setting_changed, dispatch_uid="sp-settings-reload")
    plugin_settings.set_overlay_loader(load_overrides)
    for signal, uid in (
        (post_save, "sp-site-settings-save"),
        (post_delete, "sp-site-settings-del"),
    ):
        signal.connect(forget_owner_overrides, sender=PersonalizationSettings, dispatch_uid=uid)
    for signal, uid in (
        (post_save, "sp-serving-rules-save"),
        (post_delete, "sp-serving-rules-del"),
    ):
        signal.connect(forget_merchandising, sender=MerchandisingRule, dispatch_uid=uid)
    receivers.connect()
    registry.register_eraser(erase_model_factors)  # erased shoppers' factors in artifacts
    registry.register_eraser(erase_cached_lists)  # their cached lists (and Redis fragments)
    registry.register_eraser(erase_fragments)  # their in-process rendered widget fragments
    registry.register_eraser(erase_dead_letters)  # their events the database refused
    registry.register_erased_lookup(erased_subjects)  # intake: forgotten ids stay forgotten
    registry.register_eraser(erase_purchase_lists)  # "bought next" counts, their buy-again
