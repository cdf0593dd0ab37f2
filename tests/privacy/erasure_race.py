"""Eight erasures at once, each in its own process, against trained artifacts and a
real Redis; then the privacy audit of every store. Run as a program:

    python -m tests.privacy.erasure_race sqlite|postgres WORKDIR

It creates a fresh database (a SQLite file in WORKDIR, or a PostgreSQL database named
for its pid, dropped at the end), migrates it, stores the planted events, tracks one
live event per shopper through Redis, trains two versions, forks eight processes that
erase one shopper each at the same moment, and prints as JSON what each artifact, the
served model and the audit still find. A separate program because processes cannot
share SQLite's in-memory test database, and so both databases run in every test run.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
from datetime import timedelta
from decimal import Decimal
from typing import Any

# Not a prefix of any other planted id (a1 would match a10), so the audit has no false hits.
SHOPPERS = [f"a{k}" for k in range(2, 6)] + [f"b{k}" for k in range(2, 6)]
N_SUBJECTS = 24  # planted_rows(): 12 per cluster


def seed_and_train(live: bool = False) -> list[Any]:
    """The planted two-cluster events and two trained versions (active + rollback);
    `live` also tracks one event per shopper through the intake (stream, real-time)."""
    from personalization_plugin.adapters import ProductInfo, _adapter_for
    from personalization_plugin.engine import registry
    from personalization_plugin.engine.training import train
    from tests.engine.adapter import set_products
    from tests.engine.conftest import CLUSTER_ITEMS, NOW, planted_rows, store_events

    _adapter_for.cache_clear()
    registry.reset()
    set_products(
        [
            ProductInfo(
                id=pid,
                title=pid,
                price=Decimal(10 + k),
                category_ids=(f"cat-{pid[0]}",),
                created_at=NOW - timedelta(days=k),
            )
            for items in CLUSTER_ITEMS.values()
            for k, pid in enumerate(items)
        ]
    )
    store_events(planted_rows())
    if live:
        from personalization_plugin import track
        from personalization_plugin.tracking.backends import get_backend

        for visitor in SHOPPERS + ["a7"]:
            track("view", visitor_id=visitor, product_id="A1")
        get_backend().flush()
    return [train(holdout=False, full=True), train(holdout=False, full=True)]


def _erase_in_child(visitor_id: str, start: Any) -> None:
    from django.db import connections

    from personalization_plugin.privacy.erasure import erase

    connections.close_all()  # never share the parent's socket
    code = 0
    try:
        start.wait()
        erase(visitor_id=visitor_id)
    except Exception as exc:
        print(f"erasure of {visitor_id} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        code = 1
    finally:
        connections.close_all()
        os._exit(code)


def erase_in_processes(visitor_ids: list[str]) -> list[int | None]:
    """Fork one process per id, released together; their exit codes (0 = erased)."""
    from django.db import connections

    context = multiprocessing.get_context("fork")
    start = context.Barrier(len(visitor_ids))
    connections.close_all()
    children = [context.Process(target=_erase_in_child, args=(v, start)) for v in visitor_ids]
    for child in children:
        child.start()
    for child in children:
        child.join(120)
    return [child.exitcode for child in children]


def leftovers(versions: list[Any]) -> dict[str, Any]:
    """Which erased shoppers each artifact and the served model still hold."""
    from personalization_plugin.engine import registry
    from personalization_plugin.engine.artifacts import read_artifact

    wanted = {f"v:{v}" for v in SHOPPERS}
    files = {}
    for mv in versions:
        arrays, _ = read_artifact(mv.path)
        ids = set(arrays["subject_ids"].tolist())
        files[mv.version] = {"left": sorted(wanted & ids), "subjects": len(ids)}
    registry.reset()
    served = registry.get_active_model()
    return {
        "artifacts": files,
        "served": sorted(s for s in wanted if served is not None and served.knows_subject(s)),
        "others_served": served is not None and served.knows_subject("v:a7"),
    }


def audit(shoppers: list[str]) -> list[str]:
    """Every trace of these visitor ids in the database, Redis, artifacts and buffers."""
    from personalization_plugin.core.redis import get_redis
    from tests.reliability.audit import (
        artifact_traces,
        buffer_traces,
        database_traces,
        needles_for,
        redis_traces,
    )

    traces: list[str] = []
    for visitor in shoppers:
        needles = needles_for(visitor, visitor) - {visitor} | {f"v:{visitor}"}
        traces += database_traces(needles) + artifact_traces(needles) + buffer_traces(needles)
        traces += redis_traces(get_redis(), needles)
    return traces


def _postgres(name: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(
        host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True
    ) as db:
        db.execute(statement.format(name=name))


def main(vendor: str, workdir: str) -> None:
    os.environ["SP_RACE_VENDOR"] = vendor
    os.environ["SP_RACE_DB"] = (
        os.path.join(workdir, "race.sqlite3") if vendor == "sqlite" else f"sp_race_{os.getpid()}"
    )
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.privacy.race_settings"
    if vendor == "postgres":
        _postgres(os.environ["SP_RACE_DB"], "CREATE DATABASE {name}")
    try:
        _run(workdir)
    finally:
        if vendor == "postgres":
            from django.db import connections

            connections.close_all()
            _postgres(os.environ["SP_RACE_DB"], "DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _run(workdir: str) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from personalization_plugin.core.redis import get_redis

    settings.PERSONALIZATION = {
        **settings.PERSONALIZATION,
        "MODEL_DIR": os.path.join(workdir, "models"),
        "ADAPTER": "tests.engine.adapter.MemoryAdapter",
        "REDIS_URL": settings.REDIS_TEST_URL,
        "KEY_PREFIX": f"sprace-{os.getpid()}",
    }
    call_command("migrate", verbosity=0, interactive=False)
    try:
        versions = seed_and_train(live=True)
        codes = erase_in_processes(SHOPPERS)
        from personalization_plugin.tracking.backends import get_backend

        get_backend().flush()  # a flush after the erasures brings nothing back
        result = {"exit_codes": codes, **leftovers(versions), "audit": audit(SHOPPERS)}
        result["kept"] = audit(["a7"]) != []  # the audit does see a shopper who stayed
    finally:
        client = get_redis()
        for name in client.scan_iter(f"sprace-{os.getpid()}:*", count=1000):
            client.delete(name)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
