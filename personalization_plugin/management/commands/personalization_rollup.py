"""`manage.py personalization_rollup`: bring the daily report roll-ups up to date.

Run it from cron every hour (e.g. `15 * * * * manage.py personalization_rollup`), and
after importing or erasing events (`--rebuild` recomputes every day). Only days that
changed since the last run are recomputed, so a run over an unchanged store is a few
queries. Today's figures are always computed live by the pages, never stored.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Roll up the closed days whose events changed since the last run (report pages)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--rebuild", action="store_true", help="Drop every roll-up and recompute all days."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from personalization_plugin.reports import rollups

        if options["rebuild"]:
            rollups.forget()
        days = rollups.refresh()
        if days:
            self.stdout.write(f"Rolled up {len(days)} day(s): {days[0]} to {days[-1]}.")
        else:
            self.stdout.write("Roll-ups are up to date.")
