"""Delete stored events older than RETENTION_DAYS (run daily, e.g. from cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.privacy.retention import purge_events


class Command(BaseCommand):
    help = "Delete events older than PERSONALIZATION['RETENTION_DAYS'], in batches."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--days", type=int, default=None, help="Override RETENTION_DAYS")
        parser.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"] if options["days"] is not None else plugin_settings.RETENTION_DAYS
        try:
            deleted = purge_events(days=days, batch_size=options["batch_size"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Deleted {deleted} events older than {days} days.")
