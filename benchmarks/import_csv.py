"""Backfill throughput: `backfill.import_csv` on a real interaction log, against a plain
`bulk_create` of the same rows measured in the same run.

    .venv/bin/python benchmarks/import_csv.py [--csv ../shared/data/rees46-slice/events.csv]

Setup: the test settings on a fresh temporary SQLite file (migrated), no Redis.
Measured over the same file:
  1. import_csv, first run: parse + validate every row, consent check, deterministic ids,
     existing-id lookup and bulk_create(ignore_conflicts) per batch of 500;
  2. import_csv, second run: the idempotent re-run (must store 0);
  3. baseline: csv.reader -> Event(...) -> bulk_create in batches of 500 (no validation,
     random ids, so a re-run would duplicate everything).
"""

from __future__ import annotations

import argparse
import csv
import importlib
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_CSV = ROOT.parent / "shared" / "data" / "rees46-slice" / "events.csv"


def configure() -> str:
    import django
    from django.conf import settings

    base = importlib.import_module("tests.settings")
    values = {k: getattr(base, k) for k in dir(base) if k.isupper()}
    path = os.path.join(tempfile.mkdtemp(prefix="sp-bench-import-"), "bench.sqlite3")
    values["DATABASES"] = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": path}}
    values["PERSONALIZATION"] = {**values["PERSONALIZATION"], "FLUSH_INTERVAL": 0}
    values["LOGGING"] = {"version": 1, "disable_existing_loggers": False}
    settings.configure(**values)
    django.setup()
    from django.core.management import call_command

    call_command("migrate", "personalization", verbosity=0)
    return path


def baseline(path: Path) -> int:
    from personalization_plugin.models import Event

    kinds = {"view": "view", "cart": "cart_add", "remove": "cart_remove", "purchase": "purchase"}
    batch: list[Event] = []
    written = 0
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for row in reader:
            batch.append(
                Event(
                    event_id=uuid.uuid4().hex,
                    type=kinds[row[3]],
                    visitor_id=row[1],
                    product_id=row[2],
                    order_id=row[6] if row[3] == "purchase" else "",
                    occurred_at=datetime.fromtimestamp(float(row[0]), tz=UTC),
                )
            )
            if len(batch) == 500:
                Event.objects.bulk_create(batch, ignore_conflicts=True)
                written += len(batch)
                batch = []
    Event.objects.bulk_create(batch, ignore_conflicts=True)
    return written + len(batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    args = parser.parse_args()
    db = configure()
    from personalization_plugin.backfill import import_csv
    from personalization_plugin.models import Event

    print(f"File: {args.csv}   database: SQLite {db}")
    # The baseline runs first and is deleted, so both measured inserts meet the same
    # (once-grown) database file.
    start = time.perf_counter()
    rows = baseline(args.csv)
    t_base = time.perf_counter() - start
    Event.objects.all().delete()
    start = time.perf_counter()
    first = import_csv(args.csv, skip_invalid=True)
    t_first = time.perf_counter() - start
    start = time.perf_counter()
    second = import_csv(args.csv, skip_invalid=True)
    t_second = time.perf_counter() - start
    assert second.stored == 0, "a re-run stored events again"
    stored = Event.objects.count()

    def rate(n: int, seconds: float) -> str:
        return f"{n / seconds:>9,.0f} rows/s ({seconds:.2f} s)"

    print(
        f"import_csv, first run : {rate(first.read + first.invalid, t_first)}  stored {first.stored}, invalid {first.invalid}"
    )
    print(
        f"import_csv, re-run    : {rate(second.read + second.invalid, t_second)}  stored {second.stored}"
    )
    print(f"baseline bulk_create  : {rate(rows, t_base)}  (no validation, not idempotent)")
    print(f"events in DB after import: {stored}")
    print(f"ratio first run / baseline time: {t_first / t_base:.2f}x")


if __name__ == "__main__":
    main()
