"""Print (or write) everything stored about one shopper as JSON."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from personalization_plugin.privacy.export import export_subject


class Command(BaseCommand):
    help = "Export one shopper's personalization data as JSON (--customer ID or --visitor ID)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--customer", default=None, help="Customer id (as the adapter reports it)"
        )
        parser.add_argument("--visitor", default=None, help="Pseudonymous visitor id")
        parser.add_argument(
            "--output", "-o", default=None, help="Write to this file instead of stdout"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["customer"] and not options["visitor"]:
            raise CommandError("Give --customer ID or --visitor ID.")
        data = export_subject(visitor_id=options["visitor"], customer_id=options["customer"])
        text = json.dumps(data, indent=2, sort_keys=True)
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
            self.stderr.write(f"Wrote {len(data['events'])} events to {options['output']}.")
        else:
            self.stdout.write(text)
