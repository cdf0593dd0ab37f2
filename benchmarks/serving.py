"""Serving latency per placement: 100k products, 200k visitors, a model built by the engine.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/serving.py [--items 100000] [--visitors 200000]

Synthetic store: products in 500 categories with Zipf-like popularity; each visitor
mostly browses one "home" category, carts some items and buys a few (one order each).
The engine's own pipeline (`build_interactions` + `build_arrays`, ALS core) turns that
into the `ArtifactModel` serving uses in production; the catalog is an in-memory
adapter. Each placement is timed end to end through `recommend()` (rules, product
lookups, diversity, reasons included), in-process, with the local real-time store.

Baseline, measured in the same run: implicit's bare `model.recommend(userid,
user_items[userid], N=10)` with the same item factors (no rules, no ids, no reasons).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

N_CATEGORIES = 500
EVENTS_PER_VISITOR = 6


class BenchAdapter:
    """An in-memory catalog adapter (what a store's adapter returns, without a database)."""

    products: dict = {}

    def get_products(self, ids: Sequence[str]) -> dict:
        found = self.products
        return {pid: found[pid] for pid in ids if pid in found}

    def iter_products(self, batch_size: int = 500) -> Iterator[list]:
        items = list(self.products.values())
        for start in range(0, len(items), batch_size):
            yield items[start : start + batch_size]


def build_catalog(n_items: int, rng: np.random.Generator) -> dict:
    from personalization_plugin.adapters import ProductInfo

    created = datetime(2026, 1, 1, tzinfo=UTC).timestamp() + rng.uniform(0, 3e7, n_items)
    return {
        str(i): ProductInfo(
            id=str(i),
            title=f"Product {i}",
            price=Decimal(int(5 + (i * 37) % 400)),
            category_ids=(f"cat{i % N_CATEGORIES}",),
            in_stock=(i % 50) != 0,  # 2% sold out, so the filters have work to do
            created_at=datetime.fromtimestamp(float(created[i]), UTC),
        )
        for i in range(n_items)
    }


def synthetic_events(n_items: int, n_visitors: int, rng: np.random.Generator):
    """Vectorised synthetic behaviour: (visitor, item, type, timestamp, order) columns."""
    per_cat = n_items // N_CATEGORIES
    n = n_visitors * EVENTS_PER_VISITOR
    visitor = np.repeat(np.arange(n_visitors), EVENTS_PER_VISITOR)
    home = rng.integers(0, N_CATEGORIES, n_visitors)[visitor]
    wander = rng.random(n) < 0.25
    category = np.where(wander, rng.integers(0, N_CATEGORIES, n), home)
    rank = np.minimum(rng.zipf(1.4, n), per_cat) - 1
    item = rank * N_CATEGORIES + category  # item i is in category i % N_CATEGORIES
    kind = rng.choice(["view", "cart_add", "purchase"], size=n, p=[0.8, 0.12, 0.08])
    now = time.time()
    timestamp = now - rng.uniform(0, 30 * 86400, n)
    subject = np.char.add("v:", visitor.astype(str))
    order = np.where(kind == "purchase", np.char.add("o", visitor.astype(str)), "")
    return subject, item.astype(str), kind, timestamp, order


def build_model(n_items: int, n_visitors: int, catalog: dict, rng: np.random.Generator):
    from personalization_plugin.core.conf import plugin_settings
    from personalization_plugin.engine.builder import BuildParams, build_arrays
    from personalization_plugin.engine.catalog import CatalogSnapshot
    from personalization_plugin.engine.interactions import EventLog, build_interactions
    from personalization_plugin.engine.serving_model import ArtifactModel

    subject, item, kind, timestamp, order = synthetic_events(n_items, n_visitors, rng)
    log = EventLog.from_columns(
        subject=subject, item=item, type=kind, timestamp=timestamp, session=subject, order=order
    )
    data = build_interactions(
        log, plugin_settings.EVENT_WEIGHTS, plugin_settings.HALF_LIFE_DAYS, extra_items=catalog
    )
    snapshot = CatalogSnapshot(
        categories={p.id: p.category_ids for p in catalog.values()},
        price={p.id: float(p.price) for p in catalog.values()},
        created={p.id: p.created_at.timestamp() for p in catalog.values()},
        available={p.id: p.available for p in catalog.values()},
    )
    params = BuildParams.from_settings("als", iterations=10)
    started = time.perf_counter()
    arrays, info = build_arrays(data, params, snapshot)
    seconds = time.perf_counter() - started
    model = ArtifactModel(arrays, {"version": "bench", "params": params.to_dict()})
    return model, data, seconds, info["timings"]


def percentiles(samples: list[float]) -> tuple[float, float]:
    values = np.asarray(samples) * 1000.0
    return float(np.percentile(values, 50)), float(np.percentile(values, 99))


def timed(
    call: Callable[[int], object], runs: int, warmup: int = 30
) -> tuple[list[float], list[float]]:
    """Wall-clock and thread-CPU seconds per call. On a shared machine the wall p99 is
    mostly time the scheduler gave to other processes; the CPU column excludes it."""
    for k in range(warmup):
        call(k)
    wall, cpu = [], []
    for k in range(runs):
        started, started_cpu = time.perf_counter(), time.thread_time()
        call(k)
        cpu.append(time.thread_time() - started_cpu)
        wall.append(time.perf_counter() - started)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--visitors", type=int, default=200_000)
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
        "REDIS_URL": None,
    }
    from personalization_plugin.core.conf import plugin_settings

    plugin_settings.reload()
    from personalization_plugin.core.events import build_event
    from personalization_plugin.engine import registry
    from personalization_plugin.serving import recommend
    from personalization_plugin.tracking.identity import Visitor
    from personalization_plugin.tracking.realtime import get_realtime

    rng = np.random.default_rng(7)
    print(f"Building {args.items:,} products and {args.visitors:,} visitors ...", flush=True)
    BenchAdapter.products = build_catalog(args.items, rng)
    model, data, fit_seconds, timings = build_model(
        args.items, args.visitors, BenchAdapter.products, rng
    )
    print(
        f"Engine build: {fit_seconds:.1f} s for {data.matrix.nnz:,} interactions "
        f"({data.n_users:,} x {data.n_items:,}); parts {timings}",
        flush=True,
    )
    registry.get_active_model = lambda: model  # the artifact, as the registry would serve it

    # Real-time state for the visitors we sample: three recent views each (also trending).
    realtime = get_realtime()
    sample = rng.choice(data.n_users, size=args.runs * 2 + 200, replace=False)
    visitors = [Visitor(visitor_id=str(data.subject_ids[u])[2:], consent="granted") for u in sample]
    user_items = data.matrix
    for v, u in zip(visitors, sample, strict=True):
        row = user_items.indices[user_items.indptr[u] : user_items.indptr[u + 1]][:3]
        for col in row:
            pid = str(data.item_ids[col])
            realtime.record(
                build_event("view", visitor_id=v.visitor_id, product_id=pid),
                (f"cat{int(pid) % N_CATEGORIES}",),
            )
    popular_ids = [p for p, _ in model.popular(n=2000)]
    products = [popular_ids[k] for k in rng.integers(0, len(popular_ids), args.runs + 100)]
    categories = [f"cat{k}" for k in rng.integers(0, N_CATEGORIES, args.runs + 100)]

    cold = iter(visitors)
    warm = visitors[-200:]
    cases: dict[str, Callable[[int], object]] = {
        "for_you (cold cache)": lambda k: recommend("for_you", visitor=next(cold)),
        "for_you (cached)": lambda k: recommend("for_you", visitor=warm[k % 200]),
        "similar": lambda k: recommend("similar", product_id=products[k]),
        "bought_together": lambda k: recommend("bought_together", product_id=products[k]),
        "cart": lambda k: recommend("cart", visitor=warm[k % 200], cart=products[k : k + 2]),
        "trending": lambda k: recommend("trending"),
        "trending (category)": lambda k: recommend("trending", category_id=categories[k]),
        "recently_viewed": lambda k: recommend("recently_viewed", visitor=warm[k % 200]),
        "category_top": lambda k: recommend("category_top", category_id=categories[k]),
    }
    for k in range(200):  # fill the personal cache for the warm visitors
        recommend("for_you", visitor=warm[k])
    # The catalog, model and events built above are long-lived, as in a web process that
    # has loaded its model: keep them out of the collector's way (gc.freeze), as a
    # production server would after startup.
    gc.collect()
    gc.freeze()

    # Baseline: implicit's own recommend() with the same item factors.
    from implicit.cpu.als import AlternatingLeastSquares

    bare = AlternatingLeastSquares(factors=model.core.item_factors.shape[1])
    bare.user_factors = np.ascontiguousarray(model.core.user_factors)
    bare.item_factors = np.ascontiguousarray(model.core.item_factors)
    users = rng.integers(0, data.n_users, args.runs + 100)
    base_wall, base_cpu = timed(
        lambda k: bare.recommend(int(users[k]), user_items[int(users[k])], N=10), args.runs
    )
    base = percentiles(base_wall)
    base_c = percentiles(base_cpu)

    print()
    print(f"{'':<24}{'wall clock':^30}{'thread CPU time':^30}")
    header = f"{'p50 ms':>8}{'p99 ms':>8}{'p99/base':>10}  "
    print(f"{'placement (limit 8)':<24}{header}{header}")

    def row(name: str, wall: tuple[float, float], cpu: tuple[float, float]) -> None:
        print(
            f"{name:<24}{wall[0]:>8.3f}{wall[1]:>8.3f}{wall[1] / base[1]:>10.2f}  "
            f"{cpu[0]:>8.3f}{cpu[1]:>8.3f}{cpu[1] / base_c[1]:>10.2f}  "
        )

    row("implicit recommend N=10", base, base_c)
    for name, call in cases.items():
        wall, cpu = timed(call, args.runs)
        row(name, percentiles(wall), percentiles(cpu))


if __name__ == "__main__":
    main()
