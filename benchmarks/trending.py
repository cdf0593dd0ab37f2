"""Trending reads at a 100k-item board, embedded and Redis, against same-run baselines.

    .venv/bin/python benchmarks/trending.py [--items 100000] [--calls 2000] [--runs 3]

What serving asks for: the top 100 of a board (`serving.fallbacks.TRENDING_BOARD`), and
the top 10. Boards are normally bounded (TRENDING_SIZE, trimmed at twice that); here the
bound is lifted to --items so the read is measured at a 100k board, the issue's worst case.

Scenarios: every item has enough distinct shoppers, or only one in ten (the read then
walks further down the board, still bounded by `tracking.trending.max_scan`).

Baselines measured in the same run, on the same 100k scores:
  - embedded: the previous read, `sorted(board.items())[:n]` on a copy of the board dict;
  - Redis: a bare `ZREVRANGE board 0 n-1 WITHSCORES` (one round trip, no support check).
Each figure is per call: wall p50 / p99 and CPU time, min and median over --runs runs.
Redis comes from REDIS_BENCH_URL, else the test settings' REDIS_TEST_URL, under a key
prefix of this process's own, removed at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_MS = 0.5
PREFIX = f"sptrendbench-{os.getpid()}"


def timed(call: Callable[[], object], calls: int) -> tuple[float, float, float]:
    """(p50 ms, p99 ms, CPU ms per call) over `calls` calls."""
    walls = []
    cpu = time.process_time()
    for _ in range(calls):
        start = time.perf_counter()
        call()
        walls.append(time.perf_counter() - start)
    cpu_ms = (time.process_time() - cpu) * 1000 / calls
    walls.sort()
    return walls[len(walls) // 2] * 1000, walls[int(len(walls) * 0.99)] * 1000, cpu_ms


def summary(label: str, runs: list[tuple[float, float, float]], base: list) -> tuple[float, float]:
    p50 = [r[0] for r in runs]
    p99 = [r[1] for r in runs]
    cpu = [r[2] for r in runs]
    base_p50 = statistics.median(r[0] for r in base)
    print(
        f"  {label:<44} p50 {min(p50):7.3f}/{statistics.median(p50):7.3f} ms  "
        f"p99 {min(p99):7.3f}/{statistics.median(p99):7.3f} ms  "
        f"CPU {min(cpu):7.3f}/{statistics.median(cpu):7.3f} ms  "
        f"x{statistics.median(p50) / base_p50:6.2f} of baseline"
    )
    return statistics.median(p50), statistics.median(p99)


def fill_local(n_items: int, supported_every: int):  # type: ignore[no-untyped-def]
    from personalization_plugin.tracking import trending

    store = trending.LocalTrending()
    now = trending.clock()
    store.epoch = now
    for i in range(n_items):
        item = str(i)
        store.boards.setdefault("", trending.Board()).add(item, 1.0 + (i * 7919 % n_items))
        if i % supported_every == 0:
            store.support.add(item, 5.0)
    return store


def fill_redis(client, n_items: int, supported_every: int) -> None:  # type: ignore[no-untyped-def]
    from personalization_plugin.tracking import trending

    pipe = client.pipeline(transaction=False)
    pipe.set(f"{PREFIX}:trend:epoch", repr(trending.clock()))
    chunk: dict[str, float] = {}
    support: dict[str, float] = {}
    for i in range(n_items):
        chunk[str(i)] = 1.0 + (i * 7919 % n_items)
        if i % supported_every == 0:
            support[str(i)] = 5.0
        if len(chunk) >= 5000:
            pipe.zadd(f"{PREFIX}:trend", chunk)
            chunk = {}
    if chunk:
        pipe.zadd(f"{PREFIX}:trend", chunk)
    for start in range(0, len(support), 5000):
        part = dict(list(support.items())[start : start + 5000])
        pipe.zadd(f"{PREFIX}:trend:support", part)
    pipe.execute()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    import django
    from django.conf import settings

    django.setup()
    import redis

    from personalization_plugin.tracking import trending
    from personalization_plugin.tracking.realtime import RedisRealtime, get_local_realtime

    url = os.environ.get("REDIS_BENCH_URL") or settings.REDIS_TEST_URL
    from django.test.utils import override_settings

    override_settings(
        PERSONALIZATION={
            **settings.PERSONALIZATION,
            "KEY_PREFIX": PREFIX,
            "TRENDING_MIN_SHOPPERS": 3,
        }
    ).enable()
    trending.TRENDING_SIZE = args.items  # lift the bound: measure at a full 100k board
    client = redis.Redis.from_url(url)
    print(f"trending benchmark: {args.items:,}-item board, {args.calls} calls x {args.runs} runs")
    print("  figures: min/median over runs; ratio = median p50 / median baseline p50")
    worst_p50 = worst_p99 = 0.0
    try:
        for supported_every in (1, 10):
            share = "every item" if supported_every == 1 else "1 in 10 items"
            print(f" {share} has enough distinct shoppers")
            local = fill_local(args.items, supported_every)
            store = get_local_realtime()
            store._trend = local
            board = local.boards[""].scores
            client.delete(f"{PREFIX}:trend", f"{PREFIX}:trend:support")
            fill_redis(client, args.items, supported_every)
            remote = RedisRealtime(url, store)
            for n in (10, 100):
                base = [
                    timed(
                        lambda n=n, board=board: sorted(dict(board).items(), key=lambda kv: -kv[1])[
                            :n
                        ],
                        max(20, args.calls // 100),
                    )
                    for _ in range(args.runs)
                ]
                summary(f"embedded baseline: full sort, top {n}", base, base)
                runs = [
                    timed(lambda n=n, s=store: s.trending(n), args.calls) for _ in range(args.runs)
                ]
                p50, p99 = summary(f"embedded trending(), top {n}", runs, base)
                worst_p50, worst_p99 = max(worst_p50, p50), max(worst_p99, p99)
                base = [
                    timed(
                        lambda n=n: client.zrevrange(f"{PREFIX}:trend", 0, n - 1, withscores=True),
                        args.calls,
                    )
                    for _ in range(args.runs)
                ]
                summary(f"Redis baseline: bare ZREVRANGE, top {n}", base, base)
                runs = [
                    timed(lambda n=n, r=remote: r.trending(n), args.calls) for _ in range(args.runs)
                ]
                p50, p99 = summary(f"Redis trending(), top {n}", runs, base)
                worst_p50, worst_p99 = max(worst_p50, p50), max(worst_p99, p99)
    finally:
        for key in client.scan_iter(f"{PREFIX}:*", count=1000):
            client.delete(key)
    for name, worst in (("p50", worst_p50), ("p99", worst_p99)):
        verdict = "met" if worst <= TARGET_MS else "NOT met"
        print(f"  worst median {name} {worst:.3f} ms; target <= {TARGET_MS} ms: {verdict}")
    print("  (p99 on a loaded machine: compare with the bare ZREVRANGE baseline's p99 above)")


if __name__ == "__main__":
    main()
