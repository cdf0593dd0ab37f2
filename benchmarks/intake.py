"""What the intake's defences cost, each against a baseline measured in the same run.

    .venv/bin/python benchmarks/intake.py [--requests 300] [--rounds 5] [--redis]

Setup: the test settings, a temporary SQLite file, the local backend (or with --redis the
Redis backend at 127.0.0.1:6379 db 14, keys under "spbench-intake:"), and an in-memory
catalog adapter.

Measured, alternating rounds so that machine noise hits both sides alike:
  1. POST /personalization/events/ with 10 views, through `tracking.intake.receive` with
     screening (crawler check + erased-id check), against the same requests with
     screening switched off (the baseline);
  2. flushing 1,000 buffered events of which one is refused by the database (isolated by
     halving, then dead-lettered), against flushing 1,000 clean events (the baseline).
Wall time and CPU time of this process are printed side by side; compare the ratios.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
REDIS_URL = "redis://127.0.0.1:6379/14"
PREFIX = "spbench-intake"
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0.0.0 Safari/537.36"


def configure(redis: bool) -> None:
    import django
    from django.conf import settings

    base = importlib.import_module("tests.settings")
    values = {k: getattr(base, k) for k in dir(base) if k.isupper()}
    path = os.path.join(tempfile.mkdtemp(prefix="sp-bench-intake-"), "bench.sqlite3")
    values["DATABASES"] = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": path}}
    values["PERSONALIZATION"] = {
        **values["PERSONALIZATION"],
        "ADAPTER": "benchmarks.ingest.BenchAdapter",
        "REDIS_URL": REDIS_URL if redis else None,
        "KEY_PREFIX": PREFIX,
        "FLUSH_INTERVAL": 0,
        "BATCH_SIZE": 50_000,  # no size flush inside a timed run; flushed between runs
        "RATE_LIMIT_PER_MINUTE": 0,
        "CONSENT_MODE": "implied",
    }
    values["LOGGING"] = {"version": 1, "disable_existing_loggers": True}
    settings.configure(**values)
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def timed(func: Callable[[], Any]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    func()
    return time.perf_counter() - wall, time.process_time() - cpu


def intake_requests(n: int) -> Callable[[], None]:
    from django.test import Client

    from personalization_plugin.tracking.identity import sign_visitor_id
    from personalization_plugin.tracking.tokens import intake_token

    clients = []
    for i in range(20):
        visitor = f"{i:032x}"
        client = Client(HTTP_USER_AGENT=CHROME, REMOTE_ADDR="127.0.0.1")
        client.cookies["sp_vid"] = sign_visitor_id(visitor)
        body = json.dumps(
            {
                "token": intake_token(visitor),
                "events": [{"type": "view", "product_id": str(p)} for p in range(1, 11)],
            }
        )
        clients.append((client, body))

    def run() -> None:
        for i in range(n):
            client, body = clients[i % len(clients)]
            response = client.post("/personalization/events/", data=body, content_type="text/plain")
            assert response.status_code == 202 and response.json()["accepted"] == 10

    return run


def screening_off() -> Callable[[], None]:
    """Switch screening off in the modules that call it; returns the undo."""
    from personalization_plugin.tracking import api, intake

    saved = intake.screen, api.screen
    intake.screen = api.screen = lambda request, visitor: None  # type: ignore[assignment]

    def undo() -> None:
        intake.screen, api.screen = saved

    return undo


def flush_of(hostile: bool) -> Callable[[], None]:
    from personalization_plugin.core.events import build_event
    from personalization_plugin.tracking.backends import get_backend

    def run() -> None:
        backend = get_backend()
        events = [
            build_event("view", visitor_id=f"flush-{n % 50}", product_id=str(n % 100 + 1))
            for n in range(1000)
        ]
        if hostile:
            events[500].query = "lamp \ud800"  # past validation, as an old buffered entry
        for event in events:
            backend.submit(event)
        backend.flush()

    return run


def report(name: str, measured: list[tuple[float, float]], base: list[tuple[float, float]]) -> None:
    wall, cpu = (statistics.median(m[i] for m in measured) for i in (0, 1))
    base_wall, base_cpu = (statistics.median(b[i] for b in base) for i in (0, 1))
    print(
        f"{name}: {wall * 1000:.1f} ms wall / {cpu * 1000:.1f} ms CPU; baseline "
        f"{base_wall * 1000:.1f} / {base_cpu * 1000:.1f} ms; ratio {wall / base_wall:.2f}x wall, "
        f"{cpu / base_cpu:.2f}x CPU"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--redis", action="store_true")
    args = parser.parse_args()
    configure(args.redis)
    from personalization_plugin.models import DeadLetterEvent, Event
    from personalization_plugin.tracking.backends import get_backend

    requests = intake_requests(args.requests)
    requests()  # warm caches (products, erased-id verdicts) and connections
    get_backend().flush()
    screened, unscreened = [], []
    for _ in range(args.rounds):
        screened.append(timed(requests))
        get_backend().flush()  # untimed: each run starts with an empty buffer
        undo = screening_off()
        unscreened.append(timed(requests))
        undo()
        get_backend().flush()
    report(f"intake, {args.requests} requests x 10 events, screened", screened, unscreened)

    clean, isolated = [], []
    for _ in range(args.rounds):
        clean.append(timed(flush_of(hostile=False)))
        isolated.append(timed(flush_of(hostile=True)))
    report("flush of 1,000 events with 1 refused (isolated)", isolated, clean)
    dead = DeadLetterEvent.objects.count()
    stored = Event.objects.filter(visitor_id__startswith="flush-").count()
    print(
        f"books: {2 * args.rounds * 1000} flushed = {stored} stored + {dead} dead-lettered"
        f" ({2 * args.rounds * 1000 - stored - dead} lost)"
    )
    if args.redis:
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        for name in client.scan_iter(f"{PREFIX}:*", count=1000):
            client.delete(name)


if __name__ == "__main__":
    main()
