"""Event ingest throughput: `track()` on the Redis backend, flushed to the database,
against the previous per-event profile round trips and direct ORM inserts, in one run.

    .venv/bin/python benchmarks/ingest.py [--events 50000] [--db auto|sqlite|postgres]

Where it writes, never anything shared: Redis from REDIS_BENCH_URL (else the test
settings' REDIS_TEST_URL), under a key prefix of its own ("spbench-<pid>:"), removed at
the end; the database is a fresh one of its own: PostgreSQL (a database
"sp_bench_<pid>" created on PGHOST/PGPORT/PGUSER, dropped at the end) when it answers,
else a temporary SQLite file. Product ids are validated through an in-memory catalog
adapter (so the batched, cached lookup path is included).

Measured, each over the same event mix (views, cart adds, impressions, clicks, purchases),
wall time and this process's CPU time side by side (the machine may be loaded: read the
CPU figures and the ratios):
  0. before (same run): track() plus what the previous design paid per event through a
     tracking listener: a GET of the shopper's segment profile, and a SET when one was
     cached (read-modify-write); here no profile is cached, so one extra round trip;
  1. track(): validation + real-time state + profile queue + XADD, one round trip each;
  2. track() inside batch(): the same, pipelined;
  3. flush(): XREADGROUP -> insert -> XACK/XDEL, until drained;
  4. baselines: Event.objects.create() per event, and bulk_create() in batches.
Every event tracked is counted in the database afterwards: in == stored, no duplicates.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PREFIX = f"spbench-{os.getpid()}"
BENCH_DB = f"sp_bench_{os.getpid()}"
N_PRODUCTS = 2000
N_VISITORS = 5000
MIX = [("view", 70), ("cart_add", 8), ("impression", 15), ("click", 5), ("purchase", 2)]
TARGET_PER_CPU_SECOND = 5000


def redis_url() -> str:
    """The Redis to use: REDIS_BENCH_URL, else the test settings' (REDIS_TEST_URL)."""
    if os.environ.get("REDIS_BENCH_URL"):
        return os.environ["REDIS_BENCH_URL"]
    return str(importlib.import_module("tests.settings").REDIS_TEST_URL)


def pg_params() -> dict[str, str]:
    return {
        "host": os.environ.get("PGHOST", "127.0.0.1"),
        "port": os.environ.get("PGPORT", "5432"),
        "user": os.environ.get("PGUSER", "postgres"),
    }


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


def postgres_database(action: str) -> bool:
    """Create (or drop) this run's own database; False when PostgreSQL does not answer."""
    try:
        import psycopg

        with psycopg.connect(
            dbname="postgres", connect_timeout=2, autocommit=True, **pg_params()
        ) as conn:
            if action == "create":
                conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
            else:
                conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        return True
    except Exception:
        return False


def configure(db: str) -> str:
    import django
    from django.conf import settings

    base = importlib.import_module("tests.settings")
    values = {k: getattr(base, k) for k in dir(base) if k.isupper()}
    if db == "auto":
        db = "postgres" if postgres_database("create") else "sqlite"
    elif db == "postgres" and not postgres_database("create"):
        sys.exit(f"PostgreSQL does not answer at {pg_params()}.")
    if db == "postgres":
        params = pg_params()
        values["DATABASES"] = {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": BENCH_DB,
                "USER": params["user"],
                "HOST": params["host"],
                "PORT": params["port"],
            }
        }
        where = f"PostgreSQL {BENCH_DB} (this run's own)"
    else:
        path = os.path.join(tempfile.mkdtemp(prefix="sp-bench-"), "bench.sqlite3")
        values["DATABASES"] = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": path}}
        where = f"SQLite {path}"
    values["PERSONALIZATION"] = {
        **values["PERSONALIZATION"],
        "ADAPTER": "benchmarks.ingest.BenchAdapter",
        "REDIS_URL": redis_url(),
        "KEY_PREFIX": PREFIX,
        "FLUSH_INTERVAL": 0,
        "BATCH_SIZE": 500,
    }
    values["LOGGING"] = {"version": 1, "disable_existing_loggers": False}
    settings.configure(**values)
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
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
    """Remove this run's keys (and only those: the prefix is this process's own)."""
    import redis

    client = redis.Redis.from_url(redis_url())
    for key in client.scan_iter(f"{PREFIX}:*", count=1000):
        client.delete(key)


def legacy_profile_listener(event, categories) -> None:  # type: ignore[no-untyped-def]
    """The previous design's per-event profile work: GET the shopper's cached profile and,
    when there is one, fold the event in and SET it back (a second and third round trip)."""
    from personalization_plugin.core.redis import get_redis
    from personalization_plugin.profiles import profile as profiles
    from personalization_plugin.profiles import store
    from personalization_plugin.tracking.realtime import profile_entry

    client = get_redis()
    name = store.profile_key(event.subject)
    cached = client.get(name)
    entry = profile_entry(event, categories)
    if cached is None or entry is None:
        return
    raw = profiles.apply_entry(json.loads(cached), entry)
    client.set(name, json.dumps(raw, separators=(",", ":")), ex=3600)


def run_track(
    plan: list[tuple[str, dict]], batched: bool = False
) -> tuple[float, float, float, float]:
    """(track wall s, track CPU s, flush wall s, pending after) for one pass over `plan`."""
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
    tracked, tracked_cpu = time.perf_counter() - start, time.process_time() - cpu
    start = time.perf_counter()
    backend.flush()
    flushed = time.perf_counter() - start
    return tracked, tracked_cpu, flushed, backend.pending()


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
    try:
        measure(args, where)
    finally:
        cleanup(args.db)


def measure(args: argparse.Namespace, where: str) -> None:
    from personalization_plugin.models import Event

    clear_redis()
    n = args.events
    plan = event_plan(n)
    print(f"ingest benchmark: {n} events, Redis {redis_url()}, {where}, BATCH_SIZE=500")

    import redis

    from personalization_plugin.core import registry

    client = redis.Redis.from_url(redis_url())
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(5000):
        client.ping()
    ping_wall, ping_cpu = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"  context: bare Redis PING {5000 / ping_wall:10,.0f} /s wall, "
        f"{5000 / ping_cpu:10,.0f} per CPU-second (the ceiling for one call per event)"
    )
    results = {}
    per_cpu = {}
    runs = (
        ("before: track() + profile GET/SET", False, "legacy-", True),
        ("track()", False, "single-", False),
        ("track() in batch()", True, "batch-", False),
    )
    for label, batched, tag, legacy in runs:
        tagged = [(k, {**f, "visitor_id": tag + f["visitor_id"]}) for k, f in plan]
        if legacy:
            registry.register_listener(legacy_profile_listener)
        try:
            tracked, tracked_cpu, flushed, left = run_track(tagged, batched=batched)
        finally:
            if legacy:
                registry._listeners.remove(legacy_profile_listener)
        rows = Event.objects.filter(visitor_id__startswith=tag)
        stored, distinct = rows.count(), rows.values("event_id").distinct().count()
        e2e = n / (tracked + flushed)
        results[label], per_cpu[label] = e2e, n / tracked_cpu
        ok = stored == distinct == n and left == 0
        print(f"  {label:<36}{n / tracked:10,.0f} events/s wall into Redis ({tracked:.2f} s)")
        print(
            f"  {'  per CPU-second of this process':<36}{n / tracked_cpu:10,.0f} events "
            f"({tracked_cpu:.2f} s CPU; load-independent)"
        )
        print(f"  {'  flush() Redis -> DB':<36}{n / flushed:10,.0f} events/s  ({flushed:.2f} s)")
        print(f"  {'  end to end (track + flush)':<36}{e2e:10,.0f} events/s wall")
        print(
            f"    events in {n}, stored {stored}, distinct {distinct}, pending {left}: "
            f"{'none lost, none doubled' if ok else 'MISMATCH'}"
        )
        if not ok:
            sys.exit(1)
    before, after = per_cpu[runs[0][0]], per_cpu["track()"]
    print(f"  track() per CPU-second, after / before (same run): {after / before:6.2f}x")
    verdict = "met" if after >= TARGET_PER_CPU_SECOND else "NOT met"
    print(f"  track() >= {TARGET_PER_CPU_SECOND:,} events per CPU-second: {verdict}")

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


def cleanup(db: str) -> None:
    """Remove what this run created: its Redis keys and, on PostgreSQL, its own database."""
    clear_redis()
    from django.db import connections

    if connections["default"].vendor == "postgresql":
        connections.close_all()
        postgres_database("drop")


if __name__ == "__main__":
    main()
