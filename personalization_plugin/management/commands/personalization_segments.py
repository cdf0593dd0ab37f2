"""`manage.py personalization_segments`: compute today's segment sizes (and RFM breakpoints).

Run it daily (cron, or a django-tasks schedule): value rules (RFM, top spenders) use the
breakpoints it stores, and the dashboard draws the sizes it keeps over time.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compute segment sizes for today and refresh the RFM / spend breakpoints."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Print sizes without storing them."
        )
        parser.add_argument("--json", action="store_true", help="Print the results as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        from personalization_plugin.segments.sizes import compute

        results = compute(save=not options["dry_run"])
        if options["json"]:
            self.stdout.write(json.dumps(results, indent=2))
            return
        population = results[0]["population"] if results else 0
        self.stdout.write(f"{population} shoppers with stored events")
        for row in results:
            share = 100.0 * row["size"] / population if population else 0.0
            note = "  (request rules count as false in batch)" if row["context_dependent"] else ""
            self.stdout.write(f"  {row['slug']:<24} {row['size']:>8}  {share:5.1f}%{note}")
        if not options["dry_run"]:
            self.stdout.write(self.style.SUCCESS(f"Stored sizes of {len(results)} segments."))
