"""Retention: stored events older than RETENTION_DAYS are deleted in batches."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from personalization_plugin.core.conf import plugin_settings


def purge_events(days: int | None = None, batch_size: int = 5000) -> int:
    """Delete events that occurred more than `days` (default RETENTION_DAYS) ago.

    Deletes in batches of primary keys so a large purge never holds one long lock.
    Returns how many events were deleted.
    """
    from personalization_plugin.models import Event

    days = int(days if days is not None else plugin_settings.RETENTION_DAYS)
    if days <= 0:
        raise ValueError(f"Retention must be a positive number of days, got {days}.")
    cutoff = timezone.now() - timedelta(days=days)
    deleted = 0
    while True:
        ids = list(
            Event.objects.filter(occurred_at__lt=cutoff)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return deleted
        deleted += Event.objects.filter(pk__in=ids).delete()[0]
