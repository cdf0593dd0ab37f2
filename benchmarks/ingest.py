"""Event ingest throughput: `track()` on the Redis backend, flushed to the database,
against direct ORM inserts measured in the same run.

    .venv/bin/python benchmarks/ingest.py [--events 50000] [--db auto|sqlite|postgres]

Setup: the test settings, Redis at 127.0.0.1:6379 db 14 (keys under "spbench:"), and a
fresh database: PostgreSQL (database "sp_bench") when it answers on 127.0.0.1, else a
temporary SQLite file. Product ids are validated through an in-memory catalog adapter
(so the batched, cached lookup path is included).

Measured, each over the same event mix (views, cart adds, impressions, clicks, purchases):
  1. track(): validation + real-time state + XADD, one call per event;
  2. flush(): XREADGROUP -> bulk_create(ignore_conflicts) -> XACK/XDEL, until drained;
     end to end = 1 + 2 (a single process doing both; a worker would run 2 elsewhere);
  3. baseline: Event.objects.create() per event (what a naive integration does);
  4. baseline: Event.objects.bulk_create() in batches of BATCH_SIZE (the floor: no
     validation, no Redis, no real-time state).
Every event tracked is counted in the database afterwards: in == stored, no duplicates.
"""

from __future__ import annotations

import argparse
import importlib
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
REDIS_URL = "redis://127.0.0.1:6379/14"
PREFIX = "spbench"
N_PRODUCTS = 2000
N_VISITORS = 5000
MIX = [("view", 70), ("cart_add", 8), ("impression", 15), ("click", 5), ("purchase", 2)]


class BenchAdapter:
    """An in-memory catalog: what a store's adapter returns, without a catalog database."""

    def __init__(self) -> None:
        from personalization_plugin.adapters import ProductInfo

        self.products = {
            str(i): ProductInfo(id=str(i), title=f"P{i}", category_ids=(f"cat{i % 40}",))
            for i in range(1, N_PRODUCTS + 1)
        }

    def get_products(self, ids: Sequence[str]) -> dict:
        return {pid: self.products[pid] for pid in ids if pid in self.products}

    def iter_products(self, batch_size: int = 500) -> Iterator[list]:
        items = list(self.products.values())
        for start in range(0, len(items), batch_size):
            yield items[start : start + batch_size]


def postgres_answers() -> bool:
    try:
        import psycopg

        with psycopg.connect(
            "host=127.0.0.1 user=postgres dbname=postgres", connect_timeout=2, autocommit=True
        ) as conn:
            conn.execute("DROP DATABASE IF EXISTS sp_bench")
            conn.execute("CREATE DATABASE sp_bench")
        return True
    except Exception:
        return False


def configure(db: str) -> str:
    import django
    from django.conf import settings

    base = importlib.import_module("tests.settings")
    values = {k: getattr(base, k) for k in dir(base) if k.isupper()}
    if db == "auto":
        db = "postgres" if postgres_answers() else "sqlite"
    elif db == "postgres" and not postgres_answers():
        sys.exit("PostgreSQL does not answer on 127.0.0.1 (user postgres).")
    if db == "postgres":
        values["DATABASES"] = {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "sp_bench",
                "USER": "postgres",
                "HOST": "127.0.0.1",
            }
        }
        where = "PostgreSQL sp_bench"
    else:
        path = os.path.join(tempfile.mkdtemp(prefix="sp-bench-"), "bench.sqlite3")
        values["DATABASES"] = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": path}}
        where = f"SQLite {path}"
    values["PERSONALIZATION"] = {
        **values["PERSONALIZATION"],
        "ADAPTER": "benchmarks.ingest.BenchAdapter",
        "REDIS_URL": REDIS_URL,
        "KEY_PREFIX": PREFIX,
        "FLUSH_INTERVAL": 0,
        "BATCH_SIZE": 500,
    }
    values["LOGGING"] = {"version": 1, "disable_existing_loggers": False}
    settings.configure(**values)
    django.setup()
    from django.core.management import call_command

    call_command("migrate", "personalization", verbosity=0)
    return where


def event_plan(n: int, seed: int = 7) -> list[tuple[str, dict]]:
    rng = random.Random(seed)
    kinds = [k for k, w in MIX for _ in range(w)]
    plan = []
    for i in range(n):
        kind = rng.choice(kinds)
        fields: dict = {
            "visitor_id": f"bench-{rng.randrange(N_VISITORS):05d}",
            "product_id": str(rng.randint(1, N_PRODUCTS)),
        }
        if kind in ("impression", "click"):
            fields.update(placement="for_you", position=rng.randint(1, 8), model_version="v1")
        if kind == "purchase":
            fields.update(order_id=f"o{i}", price="19.90", currency="EUR")
        plan.append((kind, fields))
    return plan


def clear_redis() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{PREFIX}:*", count=1000):
        client.delete(key)


def run_track(plan: list[tuple[str, dict]], batched: bool = False) -> tuple[float, float, int]:
    from personalization_plugin import track
    from personalization_plugin.tracking.api import batch
    from personalization_plugin.tracking.backends import get_backend

    backend = get_backend()
    assert backend.name == "redis"
    start, cpu = time.perf_counter(), time.process_time()
    if batched:
        with batch():
            for kind, fields in plan:
                track(kind, **fields)
    else:
        for kind, fields in plan:
            track(kind, **fields)
    tracked = time.perf_counter() - start
    start = time.perf_counter()
    backend.flush()
    flushed = time.perf_counter() - start
    global LAST_CPU
    LAST_CPU = time.process_time() - cpu
    return tracked, flushed, backend.pending()


LAST_CPU = 0.0


def orm_rows(plan: list[tuple[str, dict]], tag: str) -> list:
    from personalization_plugin.core.events import build_event
    from personalization_plugin.tracking.backends.base import to_model

    rows = []
    for kind, fields in plan:
        event = build_event(kind, **{**fields, "visitor_id": f"{tag}-{fields['visitor_id']}"})
        rows.append(to_model(event))
    return rows


def run_create(rows: list) -> float:
    from personalization_plugin.models import Event

    start = time.perf_counter()
    # Each create() is its own transaction, as in a request that records one event.
    for row in rows:
        Event.objects.create(
            **{
                f.attname: getattr(row, f.attname)
                for f in Event._meta.concrete_fields
                if f.attname != "id"
            }
        )
    return time.perf_counter() - start


def run_bulk(rows: list, batch: int) -> float:
    from personalization_plugin.models import Event

    start = time.perf_counter()
    for i in range(0, len(rows), batch):
        Event.objects.bulk_create(rows[i : i + batch])
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument(
        "--create-events",
        type=int,
        default=5000,
        help="events for the per-row create() baseline (slow: one transaction each)",
    )
    parser.add_argument("--db", choices=["auto", "sqlite", "postgres"], default="auto")
    args = parser.parse_args()
    os.environ.pop("DJANGO_SETTINGS_MODULE", None)
    where = configure(args.db)
    clear_redis()
    from personalization_plugin.models import Event

    n = args.events
    plan = event_plan(n)
    print(f"ingest benchmark: {n} events, Redis {REDIS_URL}, {where}, BATCH_SIZE=500")

    import redis

    client = redis.Redis.from_url(REDIS_URL)
    start = time.perf_counter()
    for _ in range(5000):
        client.ping()
    ping_rate = 5000 / (time.perf_counter() - start)
    print(
        f"  context: bare Redis PING round trips {ping_rate:10,.0f} /s (the ceiling for one call per event)"
    )
    results = {}
    for label, batched, tag in (
        ("track()", False, "bench-"),
        ("track() in batch()", True, "batch-"),
    ):
        if batched:
            plan = [(k, {**f, "visitor_id": "batch-" + f["visitor_id"][6:]}) for k, f in plan]
        tracked, flushed, left = run_track(plan, batched=batched)
        rows = Event.objects.filter(visitor_id__startswith=tag)
        stored, distinct = rows.count(), rows.values("event_id").distinct().count()
        e2e = n / (tracked + flushed)
        results[label] = e2e
        ok = stored == distinct == n and left == 0
        print(f"  {label:<30}{n / tracked:10,.0f} events/s into Redis ({tracked:.2f} s)")
        print(f"  {'  flush() Redis -> DB':<30}{n / flushed:10,.0f} events/s  ({flushed:.2f} s)")
        print(f"  {'  end to end':<30}{e2e:10,.0f} events/s")
        print(
            f"  {'  per CPU-second of this process':<30}{n / LAST_CPU:10,.0f} events/s (load-independent)"
        )
        print(
            f"    events in {n}, stored {stored}, distinct {distinct}, pending {left}: "
            f"{'none lost, none doubled' if ok else 'MISMATCH'}"
        )
        if not ok:
            sys.exit(1)

    n_create = min(args.create_events, n)
    plan = event_plan(n)
    rows = orm_rows(plan[:n_create], "create")
    t_create = run_create(rows)
    rows = orm_rows(plan, "bulk")
    t_bulk = run_bulk(rows, 500)
    create_rate, bulk_rate = n_create / t_create, n / t_bulk
    print(
        f"  baseline Event.objects.create {create_rate:10,.0f} events/s  ({n_create} events, {t_create:.2f} s)"
    )
    print(f"  baseline bulk_create(500)     {bulk_rate:10,.0f} events/s  ({t_bulk:.2f} s)")
    for label, e2e in results.items():
        print(f"  {label} end to end / create():      {e2e / create_rate:6.2f}x")
        print(f"  {label} end to end / bulk_create(): {e2e / bulk_rate:6.2f}x")
        print(f"  {label} end to end >= 5,000 events/s: {'met' if e2e >= 5000 else 'NOT met'}")
    clear_redis()


if __name__ == "__main__":
    main()
