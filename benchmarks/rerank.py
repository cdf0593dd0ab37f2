"""Re-ranking latency: `serving.rerank` on 500 candidates (a category or search result)
and 48 (one page), in-process with Redis, on a model built by the engine.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/rerank.py [--items 50000] [--visitors 100000]

The synthetic store, model and catalog adapter are `benchmarks/serving.py`'s. Each
shopper has three recent views and one cart line in the real-time store (Redis);
candidates are drawn from the 3,000 most popular products, in popularity order (the
store's default sort). Cases:

- warm: the shopper's snapshot and personal list are cached (page 2 onwards, or any
  listing after their first `for_you`); what nearly every request costs;
- cold: the shopper's first re-ranked listing (snapshot read from the real-time store,
  personal list scored over the catalog and cached);
- anonymous: no personalization, merchandising only.

Baselines measured in the same run: sorting 500 Python floats, and one Redis GET.
Targets (issue 19): 500 candidates p99 <= 5 ms, 48 candidates p99 <= 2 ms.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks.serving import (  # noqa: E402
    N_CATEGORIES,
    BenchAdapter,
    build_catalog,
    build_model,
    percentiles,
    timed,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--visitors", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1000)
    args = parser.parse_args()

    import django
    from django.conf import settings

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    settings.PERSONALIZATION = {
        **settings.PERSONALIZATION,
        "ADAPTER": BenchAdapter,
        "REDIS_URL": settings.REDIS_TEST_URL,
    }
    from personalization_plugin.core.conf import plugin_settings

    plugin_settings.reload()
    from personalization_plugin.core.events import build_event
    from personalization_plugin.core.redis import get_redis
    from personalization_plugin.engine import registry
    from personalization_plugin.models import MerchandisingRule
    from personalization_plugin.serving import recommend, rerank
    from personalization_plugin.tracking.identity import Visitor
    from personalization_plugin.tracking.realtime import get_realtime

    rng = np.random.default_rng(11)
    print(f"Building {args.items:,} products and {args.visitors:,} visitors ...", flush=True)
    BenchAdapter.products = build_catalog(args.items, rng)
    model, data, fit_seconds, _ = build_model(args.items, args.visitors, BenchAdapter.products, rng)
    print(f"Engine build: {fit_seconds:.1f} s, {data.matrix.nnz:,} interactions", flush=True)
    registry.get_active_model = lambda: model

    popular = [p for p, _ in model.popular(n=3000)]
    MerchandisingRule.objects.create(action="boost", target_type="product", target_id=popular[40])
    MerchandisingRule.objects.create(action="pin", target_type="product", target_id=popular[90])
    MerchandisingRule.objects.create(action="exclude", target_type="category", target_id="cat7")

    realtime = get_realtime()
    sample = rng.choice(data.n_users, size=2 * args.runs + 400, replace=False)
    visitors = [Visitor(visitor_id=str(data.subject_ids[u])[2:], consent="granted") for u in sample]
    matrix = data.matrix
    for v, u in zip(visitors, sample, strict=True):
        row = matrix.indices[matrix.indptr[u] : matrix.indptr[u + 1]]
        for n, col in enumerate(row[:4]):
            pid = str(data.item_ids[col])
            kind = "cart_add" if n == 3 else "view"
            event = build_event(kind, visitor_id=v.visitor_id, product_id=pid)
            realtime.record(event, (f"cat{int(pid) % N_CATEGORIES}",))

    def listing(size: int, k: int) -> list[str]:
        picks = np.sort(np.random.default_rng(k % 50).choice(len(popular), size, replace=False))
        return [popular[i] for i in picks]

    lists = {size: [listing(size, k) for k in range(50)] for size in (500, 48)}
    cold = iter(visitors[: 2 * args.runs + 200])
    warm = visitors[-200:]
    for k, v in enumerate(warm):  # their first listing: snapshot and personal list cached
        recommend("for_you", visitor=v)
        rerank(lists[500][k % 50], v, "category:bench")
        rerank(lists[48][k % 50], v, "category:bench")

    client = get_redis()
    client.set(f"{plugin_settings.KEY_PREFIX}:bench-get", b"x" * 2000)
    floats = [float(x) for x in rng.random(500)]
    gc.collect()
    gc.freeze()

    base_sort = timed(lambda k: sorted(floats, reverse=True), args.runs)
    base_get = timed(lambda k: client.get(f"{plugin_settings.KEY_PREFIX}:bench-get"), args.runs)
    cases: dict[str, Callable[[int], object]] = {
        "500 warm": lambda k: rerank(lists[500][k % 50], warm[k % 200], "category:bench"),
        "48 warm": lambda k: rerank(lists[48][k % 50], warm[k % 200], "category:bench"),
        "500 cold": lambda k: rerank(lists[500][k % 50], next(cold), "category:bench"),
        "48 cold": lambda k: rerank(lists[48][k % 50], next(cold), "category:bench"),
        "500 anonymous": lambda k: rerank(lists[500][k % 50], None, "category:bench"),
        "48 anonymous": lambda k: rerank(lists[48][k % 50], None, "category:bench"),
    }
    results = {name: timed(call, args.runs, warmup=20) for name, call in cases.items()}

    print()
    sort_p, get_p = percentiles(base_sort[0]), percentiles(base_get[0])
    sort_c, get_c = percentiles(base_sort[1]), percentiles(base_get[1])
    print(f"{'':<22}{'wall clock':^40}{'thread CPU time':^40}")
    head = f"{'p50 ms':>8}{'p99 ms':>8}{'/sort':>8}{'/GET':>8}{'':>8}"
    print(f"{'case':<22}{head}{head}")

    def row(name: str, wall: list[float], cpu: list[float]) -> None:
        w, c = percentiles(wall), percentiles(cpu)
        print(
            f"{name:<22}{w[0]:>8.3f}{w[1]:>8.3f}{w[1] / sort_p[1]:>8.1f}{w[1] / get_p[1]:>8.1f}"
            f"{'':>8}{c[0]:>8.3f}{c[1]:>8.3f}{c[1] / sort_c[1]:>8.1f}{c[1] / get_c[1]:>8.1f}"
        )

    row("sort 500 floats", *base_sort)
    row("one Redis GET", *base_get)
    for name, (wall, cpu) in results.items():
        row(f"rerank {name}", wall, cpu)
    targets = {"500 warm": 5.0, "48 warm": 2.0}
    for name, limit in targets.items():
        p99 = percentiles(results[name][0])[1]
        verdict = "met" if p99 <= limit else "MISSED"
        print(f"target rerank {name} p99 <= {limit} ms: {p99:.3f} ms, {verdict}")
    for key in client.scan_iter(f"{plugin_settings.KEY_PREFIX}:*", count=1000):
        client.delete(key)


if __name__ == "__main__":
    main()
