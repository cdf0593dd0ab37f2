"""Erase everything stored about one shopper (right to erasure)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from personalization_plugin.core.exceptions import ErasureIncomplete
from personalization_plugin.privacy.erasure import erase


class Command(BaseCommand):
    help = "Erase one shopper's personalization data (--customer ID and/or --visitor ID)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--customer", default=None, help="Customer id (as the adapter reports it)"
        )
        parser.add_argument("--visitor", default=None, help="Pseudonymous visitor id")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["customer"] and not options["visitor"]:
            raise CommandError("Give --customer ID and/or --visitor ID.")
        try:
            report = erase(visitor_id=options["visitor"], customer_id=options["customer"])
        except ErasureIncomplete as exc:
            raise CommandError(str(exc)) from None
        for name, count in report.items():
            self.stdout.write(f"{name}: {count}")
        self.stdout.write("Erased.")
