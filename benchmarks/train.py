"""Training cost on 1M synthetic interactions, against a bare implicit ALS fit.

    .venv/bin/python benchmarks/train.py [--users 100000] [--items 20000] [--events 1000000]

Synthetic log: power-law item popularity and user activity, 80% views / 10% cart adds /
10% purchases, sessions of one user-day. Each measurement runs in a fresh child process
so its wall time and peak RSS (resource.getrusage) are its own:

- "bare implicit ALS": `AlternatingLeastSquares(factors=64, iterations=15).fit(X)` on the
  already-built user x item matrix;
- "full training": everything `train()` does after reading the events: the weighted,
  decayed, de-duplicated matrix, the ALS core, item neighbours, bought/viewed together,
  sequential rules, popularity and the npz artifact written to disk. (EASE is skipped
  at 20k items, as in production.) Reading events from the database is not included.
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

    from personalization_plugin.conf import DEFAULTS
    from personalization_plugin.engine.interactions import build_interactions

    data = build_interactions(
        synthetic_log(args.users, args.items, args.events), DEFAULTS["EVENT_WEIGHTS"], 30.0
    )
    matrix = data.matrix
    del data
    start = time.perf_counter()
    with threadpool_limits(1, "blas"):
        AlternatingLeastSquares(factors=64, iterations=15, random_state=1).fit(
            matrix, show_progress=False
        )
    out.put(
        (
            "bare implicit ALS",
            time.perf_counter() - start,
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            int(matrix.nnz),
            {},
        )
    )


def _full(args, out) -> None:
    import django

    django.setup()
    from personalization_plugin.conf import DEFAULTS
    from personalization_plugin.engine.artifacts import write_artifact
    from personalization_plugin.engine.builder import BuildParams, build_arrays
    from personalization_plugin.engine.interactions import build_interactions

    log = synthetic_log(args.users, args.items, args.events)
    start = time.perf_counter()
    data = build_interactions(log, DEFAULTS["EVENT_WEIGHTS"], 30.0)
    built = time.perf_counter() - start
    arrays, info = build_arrays(data, BuildParams.from_settings())
    with tempfile.TemporaryDirectory() as tmp:
        write_artifact(tmp, "bench", arrays, {"params": BuildParams().to_dict()})
        size = sum(f.stat().st_size for f in Path(tmp, "bench").iterdir())
    seconds = time.perf_counter() - start
    timings = {"matrix": round(built, 2), **info["timings"], "artifact_mb": round(size / 1e6, 1)}
    out.put(
        (
            "full training",
            seconds,
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            int(data.matrix.nnz),
            timings,
        )
    )


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
            f"  {name:18s} {seconds:6.2f} s   peak RSS {maxrss_kb / 1024:7.0f} MB   ({nnz:,} non-zeros) {timings or ''}"
        )
    ratio = results["full training"] / results["bare implicit ALS"]
    print(f"  full training / bare ALS fit: {ratio:.2f}x (target: full training <= 15 s and 2 GB)")


if __name__ == "__main__":
    main()
