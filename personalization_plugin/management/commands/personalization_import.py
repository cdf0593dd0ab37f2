"""`manage.py personalization_import [--since DATE] | --csv FILE [--skip-invalid] [--customers]`.

Backfills events from the store's past orders (the adapter's `iter_orders`) or from a
CSV file in the generic format. Safe to run again: nothing is stored twice.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from tqdm import tqdm

from personalization_plugin.backfill import ImportReport, count_rows, import_csv, import_orders
from personalization_plugin.core.exceptions import MalformedRow, PersonalizationError


class Command(BaseCommand):
    help = (
        "Backfill events from the store's past orders (through the adapter's iter_orders) "
        "or from a CSV file whose header names the columns "
        "timestamp,user,item,event[,quantity,price,session]. "
        "Idempotent: a re-run stores nothing new."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--csv", metavar="FILE", help="Import this CSV file instead of orders.")
        parser.add_argument(
            "--since", help="Only orders placed on or after this date (YYYY-MM-DD or ISO 8601)."
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Skip malformed CSV rows (and report how many) instead of stopping.",
        )
        parser.add_argument(
            "--customers",
            action="store_true",
            help="The CSV's user column holds customer ids (default: anonymous visitor ids).",
        )
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        show = not options["no_progress"]
        try:
            if options["csv"]:
                report = self._csv(options, show)
            else:
                report = self._orders(options, show)
        except MalformedRow as exc:
            raise CommandError(
                f"{exc} Nothing was imported; fix the row or pass --skip-invalid."
            ) from None
        except (OSError, PersonalizationError) as exc:
            raise CommandError(str(exc)) from None
        self._summary(report)

    def _csv(self, options: dict[str, Any], show: bool) -> ImportReport:
        path = options["csv"]
        with tqdm(total=count_rows(path), unit="row", disable=not show, file=sys.stderr) as bar:
            return import_csv(
                path,
                skip_invalid=options["skip_invalid"],
                customers=options["customers"],
                batch_size=options["batch_size"],
                progress=bar.update,
            )

    def _orders(self, options: dict[str, Any], show: bool) -> ImportReport:
        since = _since(options["since"]) if options["since"] else None
        with tqdm(unit="order", disable=not show, file=sys.stderr) as bar:
            return import_orders(since=since, batch_size=options["batch_size"], progress=bar.update)

    def _summary(self, report: ImportReport) -> None:
        for error in report.errors:
            self.stderr.write(error)
        if report.invalid:
            self.stderr.write(self.style.WARNING(f"Skipped {report.invalid} invalid row(s)."))
        self.stdout.write(
            self.style.SUCCESS(
                f"Read {report.read} event(s): stored {report.stored} new, "
                f"{report.already_stored} already stored, "
                f"{report.not_consented} skipped for lack of consent, "
                f"{report.erased} skipped because the shopper was erased."
            )
        )


def _since(text: str) -> Any:
    try:
        moment = parse_datetime(text)
        day = None if moment else parse_date(text)
    except ValueError:
        moment = day = None
    if moment is None:
        if day is None:
            raise CommandError(f"--since {text!r} is not a date; use YYYY-MM-DD or ISO 8601.")
        moment = datetime(day.year, day.month, day.day)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)
