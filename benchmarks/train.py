"""Training cost on 1M synthetic interactions, against a bare implicit ALS fit.

    .venv/bin/python benchmarks/train.py [--users 100000] [--items 20000] [--events 1000000]

Synthetic log: power-law item popularity and user activity, 80% views / 10% cart adds /
10% purchases, sessions of one user-day. Each measurement runs in a fresh child process
so its wall time and peak RSS (resource.getrusage) are its own:

- "bare implicit ALS": `AlternatingLeastSquares(factors=64, iterations=15).fit(X)` on the
  already-built user x item matrix, then implicit's `recommend(u, X[u])` per call;
- "full training": everything `train()` does after reading the events: the weighted,
  decayed, de-duplicated matrix, the ALS core, item neighbours, bought/viewed together,
  sequential rules, popularity and the npz artifact written to disk. (EASE is skipped
  at 20k items, as in production.) Reading events from the database is not included.
  Then the per-call latency of the served model (loaded from the artifact) for each
  placement, against implicit's own `recommend` on the bare model.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")


def synthetic_log(n_users: int, n_items: int, n_events: int, seed: int = 7):
    import numpy as np

    from personalization_plugin.engine.interactions import EventLog

    rng = np.random.default_rng(seed)
    item_p = 1.0 / np.arange(1, n_items + 1) ** 0.9
    user_p = 1.0 / np.arange(1, n_users + 1) ** 0.6
    users = rng.choice(n_users, n_events, p=user_p / user_p.sum())
    items = rng.choice(n_items, n_events, p=item_p / item_p.sum())
    stamps = 1_700_000_000 + rng.integers(0, 60 * 86400, n_events).astype(np.float64)
    kinds = rng.choice(np.array(["view", "cart_add", "purchase"]), n_events, p=[0.8, 0.1, 0.1])
    subject = np.char.add("v:", users.astype(str))
    day = (stamps // 86400).astype(np.int64).astype(str)
    return EventLog(
        subject=subject,
        item=items.astype(str),
        type=kinds,
        timestamp=stamps,
        session=np.char.add(np.char.add(users.astype(str), "-"), day),
        order=np.where(
            kinds == "purchase", np.char.add(np.char.add("o", users.astype(str)), day), ""
        ),
        quantity=np.ones(n_events, np.int32),
        price=np.full(n_events, np.nan),
        event_id=np.full(n_events, "", dtype="<U1"),
    )


def _bare(args, out) -> None:
    import django

    django.setup()
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    from personalization_plugin.core.conf import DEFAULTS
    from personalization_plugin.engine.interactions import build_interactions

    log = synthetic_log(args.users, args.items, args.events)
    matrix = build_interactions(log, DEFAULTS["EVENT_WEIGHTS"], 30.0).matrix
    start, cpu = time.perf_counter(), _cpu()
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(factors=64, iterations=15, random_state=1)
        model.fit(matrix, show_progress=False)
    seconds = time.perf_counter() - start
    cpu = _cpu() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    users = range(0, matrix.shape[0], max(1, matrix.shape[0] // 200))
    latency = {
        "cpu seconds (user + system)": f"{cpu:.1f}",
        "implicit recommend(u, X[u])": _p50_p95(
            [lambda u=u: model.recommend(u, matrix[u], N=10) for u in users]
        ),
    }
    out.put(("bare implicit ALS", seconds, peak, int(matrix.nnz), latency))


def _full(args, out) -> None:
    import django

    django.setup()
    from personalization_plugin.core.conf import DEFAULTS
    from personalization_plugin.engine.artifacts import write_artifact
    from personalization_plugin.engine.builder import BuildParams, build_arrays
    from personalization_plugin.engine.interactions import build_interactions

    log = synthetic_log(args.users, args.items, args.events)
    start, cpu = time.perf_counter(), _cpu()
    data = build_interactions(log, DEFAULTS["EVENT_WEIGHTS"], 30.0)
    built = time.perf_counter() - start
    arrays, info = build_arrays(data, BuildParams.from_settings())
    with tempfile.TemporaryDirectory() as tmp:
        path = write_artifact(tmp, "bench", arrays, {"params": BuildParams().to_dict()})
        size = sum(f.stat().st_size for f in path.iterdir())
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        del arrays
        stats = {"cpu seconds (user + system)": f"{_cpu() - cpu:.1f}", "matrix": round(built, 2)}
        stats.update({**info["timings"], "artifact_mb": round(size / 1e6, 1)})
        stats.update(_serving_latency(path, data))
    out.put(("full training", seconds, peak, int(data.matrix.nnz), stats))


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _p50_p95(calls) -> str:
    import numpy as np

    times = []
    for call in calls:
        t = time.perf_counter()
        call()
        times.append((time.perf_counter() - t) * 1000)
    return f"p50 {np.percentile(times, 50):.2f} ms, p95 {np.percentile(times, 95):.2f} ms"


def _serving_latency(path: Path, data) -> dict[str, str]:
    """Per-call latency of the served model's placements (about 200 calls each)."""
    from personalization_plugin.engine.artifacts import load_model

    model = load_model(path)
    subjects = data.subject_ids[:: max(1, data.n_users // 200)].tolist()
    items = data.item_ids[:: max(1, data.n_items // 200)].tolist()
    recent = [items[k : k + 5] or items[:5] for k in range(len(subjects))]
    new = "v:never-seen"
    return {
        "for_subject (known)": _p50_p95([lambda s=s: model.for_subject(s) for s in subjects]),
        "for_subject (known + 5 recent)": _p50_p95(
            [
                lambda s=s, r=r: model.for_subject(s, r)
                for s, r in zip(subjects, recent, strict=False)
            ]
        ),
        "for_subject (new visitor, 5 recent)": _p50_p95(
            [lambda r=r: model.for_subject(new, r) for r in recent]
        ),
        "similar": _p50_p95([lambda i=i: model.similar(i) for i in items]),
        "bought_together (3-item cart)": _p50_p95(
            [lambda r=r: model.bought_together(r[:3]) for r in recent]
        ),
        "popular": _p50_p95([model.popular] * 200),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    ctx = mp.get_context("spawn")
    results = {}
    print(
        f"{args.events:,} events, {args.users:,} users x {args.items:,} items, {os.cpu_count()} cores"
    )
    for target in (_bare, _full):
        out = ctx.Queue()
        proc = ctx.Process(target=target, args=(args, out))
        proc.start()
        name, seconds, maxrss_kb, nnz, timings = out.get()
        proc.join()
        results[name] = seconds
        print(
            f"  {name:18s} {seconds:6.2f} s   peak RSS {maxrss_kb / 1024:5.0f} MB   ({nnz:,} non-zeros)"
        )
        for key, value in timings.items():
            print(f"      {key:38s} {value}")
    ratio = results["full training"] / results["bare implicit ALS"]
    print(f"  full training / bare ALS fit: {ratio:.2f}x (target: full training <= 15 s and 2 GB)")


if __name__ == "__main__":
    main()
