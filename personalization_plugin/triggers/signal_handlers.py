"""Wired in `TriggersConfig.ready()`: erasure reaches the trigger and message ledgers."""

from __future__ import annotations

from personalization_plugin.core.registry import register_eraser


def erase_firings(subjects: set[str]) -> int:
    """Eraser: the fired-trigger rows of the erased shopper."""
    from personalization_plugin.triggers.models import TriggerFiring

    return int(TriggerFiring.objects.filter(subject__in=subjects).delete()[0])


def erase_messages(subjects: set[str]) -> int:
    """Eraser: the shopper leaves their message rows; unsent ones are stopped."""
    from personalization_plugin.triggers.delivery import erase_messages as strip

    return strip(subjects)


def connect() -> None:
    register_eraser(erase_messages)
    register_eraser(erase_firings)
