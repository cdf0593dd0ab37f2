"""`manage.py personalization_triggers`: fire due journey messages (once per occasion,
consenting customers only), then send the retries that are due. Run every few minutes."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Scan recent activity and fire due triggers (signal + optional signed webhook)."

    def add_arguments(self, parser: Any) -> None:
        from personalization_plugin.triggers.scan import KINDS

        parser.add_argument(
            "--kind", action="append", choices=KINDS, help="Only this kind (repeatable)."
        )
        parser.add_argument(
            "--limit", type=int, default=500, help="Most customers looked at per kind."
        )
        parser.add_argument(
            "--lookback-days", type=int, default=14, help="Activity window scanned."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would fire; fire nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from personalization_plugin.triggers.scan import KINDS, scan

        if options["limit"] < 1 or options["lookback_days"] < 1:
            raise CommandError("--limit and --lookback-days must be at least 1.")
        report = scan(
            kinds=options["kind"] or KINDS,
            limit=options["limit"],
            lookback_days=options["lookback_days"],
            dry_run=options["dry_run"],
        )
        for name, value in report.as_dict().items():
            self.stdout.write(f"  {name:<16}{value:>6}")
        verb = "Would fire" if options["dry_run"] else "Fired"
        self.stdout.write(self.style.SUCCESS(f"{verb} {report.fired} trigger(s)."))
        if options["dry_run"]:
            return
        # Retries due now (and messages a task backend could not take): sent here.
        from personalization_plugin.triggers.delivery import run_due

        for status, count in sorted(run_due().items()):
            self.stdout.write(f"  {'due ' + status:<16}{count:>6}")
