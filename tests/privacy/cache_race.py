"""Process B's per-process caches after process A erased the shopper. Run as a program:

    python -m tests.privacy.cache_race sqlite|postgres redis|none WORKDIR

It creates a fresh database both processes share (as `erasure_race` does), stores a
shopper's purchases and a muted category, forks process B, which fills every
per-process cache that holds per-shopper data (bought next, buy again, past purchases,
the intake's "not erased" verdict, muted categories, the local recommendation-list
cache, the local segment profile), then erases the shopper in A and lets B read again
at once. Prints as JSON what B read before and after.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
from typing import Any

from tests.privacy.erasure_race import _postgres

VID = "cafe0cafe0cafe0cafe0cafe0cafe0ca"
OTHER = "beef0beef0beef0beef0beef0beef0be"


def read_caches(fill: bool) -> dict[str, Any]:
    """What this process answers for the shopper, each through its cache (`fill` also
    puts a recommendation list into the local list cache, as a Redis outage would)."""
    from personalization_plugin.core import subjects
    from personalization_plugin.privacy.preferences import preferences_for
    from personalization_plugin.profiles import store
    from personalization_plugin.serving import cache, history, placements
    from personalization_plugin.tracking.identity import Visitor
    from personalization_plugin.tracking.screening import is_forgotten

    subject = subjects.visitor(VID)
    if fill:
        cache._local.set(("v1", subject, "m"), (1, [("p9", 1.0)]))
    profile = store._load_local(subject)
    return {
        "bought_before": sorted(history.purchase_times("", VID)),
        "bought_next": [row[0] for row in history.bought_next(["p1"])],
        "purchased": sorted(placements._purchased(Visitor(visitor_id=VID), subject, [])),
        "forgotten": is_forgotten(VID),
        "muted": sorted(preferences_for({subject}).muted_categories),
        "cached_list": cache._local.get(("v1", subject, "m")) is not None,
        "profile_orders": sorted(profile.get("o", {})),
    }


def _child(conn: Any) -> None:
    from django.db import connections

    connections.close_all()
    code = 0
    try:
        before = read_caches(fill=True)
        conn.send("filled")
        conn.recv()  # A has erased the shopper
        conn.send(json.dumps({"before": before, "after": read_caches(fill=False)}, default=str))
    except Exception as exc:
        conn.send(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
        code = 1
    finally:
        connections.close_all()
        os._exit(code)


def _run(redis: bool) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    settings.PERSONALIZATION = {
        **settings.PERSONALIZATION,
        "REDIS_URL": settings.REDIS_TEST_URL if redis else None,
        "KEY_PREFIX": f"spcache-{os.getpid()}",
        "CONSENT_MODE": "implied",
    }
    call_command("migrate", verbosity=0, interactive=False)
    from personalization_plugin import track
    from personalization_plugin.privacy.erasure import erase
    from personalization_plugin.privacy.preferences import set_category_muted
    from personalization_plugin.tracking.backends import get_backend
    from personalization_plugin.tracking.identity import Visitor

    try:
        for visitor, products in ((VID, ["p1", "p2"]), (OTHER, ["p1", "p3"])):
            for n, pid in enumerate(products):
                track(
                    "purchase",
                    visitor_id=visitor,
                    product_id=pid,
                    order_id=f"{visitor[:4]}-{n}",
                    validate_products=False,
                )
                get_backend().flush()
        set_category_muted(Visitor(visitor_id=VID, consent="granted"), "cat-7", True)
        connections.close_all()
        context = multiprocessing.get_context("fork")
        ours, theirs = context.Pipe()
        child = context.Process(target=_child, args=(theirs,))
        child.start()
        assert ours.recv() == "filled"
        erase(visitor_id=VID)
        ours.send("go")
        result = json.loads(ours.recv())
        child.join(60)
        result["exit_code"] = child.exitcode
    finally:
        if redis:
            from personalization_plugin.core.redis import get_redis

            client = get_redis(settings.REDIS_TEST_URL)
            for name in client.scan_iter(f"spcache-{os.getpid()}:*", count=1000):
                client.delete(name)
    print(json.dumps(result))


def main(vendor: str, redis: str, workdir: str) -> None:
    os.environ["SP_RACE_VENDOR"] = vendor
    os.environ["SP_RACE_DB"] = (
        os.path.join(workdir, "cache.sqlite3") if vendor == "sqlite" else f"sp_cache_{os.getpid()}"
    )
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.privacy.race_settings"
    if vendor == "postgres":
        _postgres(os.environ["SP_RACE_DB"], "CREATE DATABASE {name}")
    try:
        _run(redis == "redis")
    finally:
        if vendor == "postgres":
            from django.db import connections

            connections.close_all()
            _postgres(os.environ["SP_RACE_DB"], "DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
