"""Eight erasures at once against trained artifacts: the race behind the concurrent
erasure tests, also runnable on its own against a file SQLite database:

    python -m tests.privacy.erasure_race DB_FILE MODEL_DIR

(it migrates the file, trains, forks eight erasing processes and prints what is left
as JSON), because SQLite's in-memory test database cannot be shared by processes.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
from datetime import timedelta
from decimal import Decimal
from typing import Any

SHOPPERS = [f"a{k}" for k in range(4)] + [f"b{k}" for k in range(4)]
N_SUBJECTS = 24  # planted_rows(): 12 per cluster


def seed_and_train() -> list[Any]:
    """The planted two-cluster events and two trained versions (active + rollback)."""
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


def main(db_file: str, model_dir: str) -> None:
    os.environ["SP_RACE_SQLITE"] = db_file
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.privacy.sqlite_file_settings"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.PERSONALIZATION = {
        **settings.PERSONALIZATION,
        "MODEL_DIR": model_dir,
        "ADAPTER": "tests.engine.adapter.MemoryAdapter",
    }
    call_command("migrate", verbosity=0, interactive=False)
    versions = seed_and_train()
    codes = erase_in_processes(SHOPPERS)
    print(json.dumps({"exit_codes": codes, **leftovers(versions)}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
