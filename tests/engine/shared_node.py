"""One web node as its own process, for tests/engine/test_shared_artifacts_processes.py:

    SP_NODE_DB=... SP_NODE_STORAGE='{...}' SP_NODE_HOME=dir python -m tests.engine.shared_node

It reads one JSON command per line on stdin and answers one JSON line on stdout:
`{"do": "seed"}` (migrate, store the planted events), `{"do": "train"}`,
`{"do": "rollback"}`, `{"do": "erase", "visitor": "b5"}` (the privacy erasure), and
`{"do": "serving", "version": v, "subject": s, "knows": bool, "timeout": t}`, which
watches `registry.get_active_model()` as requests would (no invalidation: the registry's
own periodic check) until it serves `v` (and knows `s` or not), and says how long it took.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import timedelta
from decimal import Decimal
from typing import Any


def _products() -> None:
    from personalization_plugin.adapters import ProductInfo, _adapter_for
    from tests.engine.adapter import set_products
    from tests.engine.conftest import CLUSTER_ITEMS, NOW

    _adapter_for.cache_clear()
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


def _serving(command: dict[str, Any]) -> dict[str, Any]:
    from personalization_plugin.engine import registry

    started = time.monotonic()
    deadline = started + float(command.get("timeout", 10))
    subject = command.get("subject")
    while True:
        model = registry.get_active_model()
        version = model.version if model is not None else None
        knows = bool(model is not None and subject and model.knows_subject(subject))
        wanted = version == command.get("version") and (
            "knows" not in command or knows == command["knows"]
        )
        if wanted or time.monotonic() > deadline:
            return {"version": version, "knows": knows, "seconds": time.monotonic() - started}
        time.sleep(0.05)


def handle(command: dict[str, Any]) -> dict[str, Any]:
    from django.core.management import call_command

    from personalization_plugin.engine import registry
    from personalization_plugin.engine.training import train
    from personalization_plugin.privacy.erasure import erase

    do = command["do"]
    if do == "seed":
        from tests.engine.conftest import planted_rows, store_events

        call_command("migrate", verbosity=0, interactive=False)
        store_events(planted_rows())
        return {"ok": True}
    if do == "train":
        return {"version": train().version}
    if do == "rollback":
        return {"version": registry.rollback().version}
    if do == "erase":
        return {"report": erase(visitor_id=command["visitor"])}
    if do == "serving":
        return _serving(command)
    raise ValueError(f"unknown command {do!r}")


def main() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.engine.node_settings"
    import django

    django.setup()
    _products()
    print(json.dumps({"ready": os.getpid()}), flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        if command["do"] == "exit":
            break
        try:
            reply = handle(command)
        except Exception as exc:
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(reply, default=str), flush=True)


if __name__ == "__main__":
    main()
