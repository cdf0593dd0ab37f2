"""`manage.py personalization_experiment_rollup`: bring experiment roll-ups up to date.

The results page refreshes its experiment's per-person roll-up itself (only the people
with events stored since the last refresh are recounted), so this is optional: run it
every few minutes from cron (e.g. `*/5 * * * *`) to keep that work off page loads, and
with `--rebuild` after a hash-key rotation or an import of old events with a back-dated
`stored_at` (rows are then recounted from the events in one scan per experiment).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Recount the exposed people of running experiments whose events changed."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--rebuild", action="store_true", help="Drop every experiment roll-up and recount all."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from personalization_plugin.experiments import person_rollup
        from personalization_plugin.experiments.models import ExposureRollup

        if options["rebuild"]:
            ExposureRollup.objects.update(stored_until=None)
        done = person_rollup.refresh_all()
        for pk, recounted in done.items():
            self.stdout.write(f"Experiment {pk}: {recounted} people recounted.")
        if not done:
            self.stdout.write("No running experiment.")
