"""`personalization_train` end to end: wall time, CPU time and peak memory of the command.

    .venv/bin/python benchmarks/train.py                      # the curve (see POINTS)
    .venv/bin/python benchmarks/train.py --points 1000000x20000 [--users 100000]
    .venv/bin/python benchmarks/train.py --search             # with per-store selection

For each point (interactions x items) the benchmark

1. creates its own PostgreSQL database (a unique name, dropped afterwards; host, port
   and user from PGHOST / PGPORT / PGUSER) and migrates it,
2. fills it in a *separate process* with a synthetic log (power-law item popularity and
   user activity, 80% views / 10% cart adds / 10% purchases, sessions of one user-day,
   the last 60 days up to now), so the generator's memory is never counted,
3. runs `manage.py personalization_train --no-progress` as a child process and reads
   its wall time, CPU time (user + system) and peak RSS from `os.wait4`: the database
   read, the holdout, the fit, the artifact and the precompute, all of it,
4. runs the same-run baseline in another child: a bare `implicit` ALS fit
   (factors 64, 15 iterations, one BLAS thread) on the same user x item matrix.

Prints one line per point (ratio to the baseline next to the absolute figures) and the
command's per-stage timings from the artifact manifest.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "example_site"
PY = sys.executable
POINTS = [
    (100_000, 5_000),
    (100_000, 20_000),
    (100_000, 50_000),
    (1_000_000, 5_000),
    (1_000_000, 20_000),
    (1_000_000, 50_000),
]
TARGET_SECONDS, TARGET_MB = 15.0, 2048.0
SETTINGS = """
from example_site.settings import *  # noqa: F401,F403
from example_site.settings import PERSONALIZATION as _P

PERSONALIZATION = {**_P, "REDIS_URL": None, "MODEL_DIR": %(model_dir)r, "FLUSH_INTERVAL": 0}
LOGGING = {"version": 1, "disable_existing_loggers": False}
"""


def synthetic_log(n_users: int, n_items: int, n_events: int, seed: int = 7):
    """Parallel arrays of a store-like log ending now (so precompute has active shoppers)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    item_p = 1.0 / np.arange(1, n_items + 1) ** 0.9
    user_p = 1.0 / np.arange(1, n_users + 1) ** 0.6
    users = rng.choice(n_users, n_events, p=user_p / user_p.sum())
    items = rng.choice(n_items, n_events, p=item_p / item_p.sum())
    now = time.time()
    stamps = np.sort(now - 60 * 86400 + rng.integers(0, 60 * 86400, n_events))
    kinds = rng.choice(np.array(["view", "cart_add", "purchase"]), n_events, p=[0.8, 0.1, 0.1])
    return users, items, stamps, kinds


def _env(db: str, workdir: Path) -> dict[str, str]:
    host, port = os.environ.get("PGHOST", "127.0.0.1"), os.environ.get("PGPORT", "5432")
    user = os.environ.get("PGUSER", "postgres")
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{user}@{host}:{port}/{db}",
        "DJANGO_SETTINGS_MODULE": "train_bench_settings",
        "PYTHONPATH": os.pathsep.join([str(workdir), str(SITE), str(ROOT)]),
        "OPENBLAS_NUM_THREADS": "1",
    }


def _pg_args() -> list[str]:
    return [
        "-h",
        os.environ.get("PGHOST", "127.0.0.1"),
        "-p",
        os.environ.get("PGPORT", "5432"),
        "-U",
        os.environ.get("PGUSER", "postgres"),
    ]


def generate(args: argparse.Namespace) -> None:
    """Child process: COPY the synthetic log into the benchmark database."""
    import django

    django.setup()
    from django.db import connection

    users, items, stamps, kinds = synthetic_log(args.users, args.items, args.events)
    day = (stamps // 86400).astype(int)
    from datetime import UTC, datetime

    columns = (
        "event_id, type, visitor_id, customer_id, product_id, category_id, session_id, "
        "order_id, query, quantity, currency, placement, model_version, payload, "
        "occurred_at, stored_at"
    )
    stored = datetime.now(UTC).isoformat()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY personalization_event ({columns}) FROM STDIN") as copy:
            for k in range(len(users)):
                u, t = int(users[k]), float(stamps[k])
                kind = str(kinds[k])
                order = f"o{u}-{day[k]}" if kind == "purchase" else ""
                when = datetime.fromtimestamp(t, UTC).isoformat()
                copy.write_row(
                    (
                        f"e{k}",
                        kind,
                        f"u{u}",
                        "",
                        f"p{int(items[k])}",
                        "",
                        f"s{u}-{day[k]}",
                        order,
                        "",
                        1,
                        "",
                        "",
                        "",
                        "{}",
                        when,
                        stored,
                    )
                )


def measured(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, float, str]:
    """(wall s, CPU s, peak RSS MB, stdout) of one child process, from its own rusage."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        text, problem = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{problem[-3000:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, text


BARE = """
import json, resource, time, django
django.setup()
from implicit.cpu.als import AlternatingLeastSquares
from threadpoolctl import threadpool_limits
from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.engine.interactions import build_interactions, load_events
matrix = build_interactions(load_events(), plugin_settings.EVENT_WEIGHTS, plugin_settings.HALF_LIFE_DAYS).matrix
usage = resource.getrusage(resource.RUSAGE_SELF)
cpu, start = usage.ru_utime + usage.ru_stime, time.perf_counter()
with threadpool_limits(1, "blas"):
    AlternatingLeastSquares(factors=64, iterations=15, random_state=1).fit(matrix, show_progress=False)
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"wall": time.perf_counter() - start, "cpu": usage.ru_utime + usage.ru_stime - cpu, "nnz": int(matrix.nnz)}))
"""


def point(args: argparse.Namespace, events: int, items: int) -> dict[str, object]:
    db = f"sp_bench_train_{os.getpid()}_{events}_{items}"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "train_bench_settings.py").write_text(
            SETTINGS % {"model_dir": str(work / "models")}
        )
        env = _env(db, work)
        subprocess.run(["createdb", *_pg_args(), db], check=True)
        try:
            subprocess.run([PY, "manage.py", "migrate", "-v0"], env=env, cwd=SITE, check=True)
            gen = [
                PY,
                str(Path(__file__).resolve()),
                "--generate",
                "--events",
                str(events),
                "--items",
                str(items),
                "--users",
                str(args.users or max(1000, events // 10)),
            ]
            started = time.perf_counter()
            subprocess.run(gen, env=env, cwd=SITE, check=True)
            generated = time.perf_counter() - started
            subprocess.run(
                ["psql", *_pg_args(), "-q", "-d", db, "-c", "VACUUM ANALYZE personalization_event"],
                check=True,
            )
            cmd = [PY, "manage.py", "personalization_train", "--no-progress"]
            if not args.search:
                cmd.append("--no-search")
            wall, cpu, peak, output = measured(cmd, env, SITE)
            manifest = _manifest(work / "models")
            bare = json.loads(measured([PY, "-c", BARE], env, SITE)[3].strip().splitlines()[-1])
        finally:
            subprocess.run(["dropdb", *_pg_args(), "--if-exists", db], check=True)
    return {
        "events": events,
        "items": items,
        "generated_s": round(generated, 1),
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "peak_mb": round(peak),
        "bare_als_wall_s": round(bare["wall"], 2),
        "bare_als_cpu_s": round(bare["cpu"], 2),
        "nnz": bare["nnz"],
        "stages": manifest.get("stages", {}),
        "timings": manifest.get("timings", {}),
        "ease": manifest.get("ease"),
        "output": output.strip().splitlines()[-3:],
    }


def _manifest(models: Path) -> dict[str, object]:
    found = sorted(models.glob("*/manifest.json"))
    return json.loads(found[-1].read_text()) if found else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", nargs="*", help="EVENTSxITEMS, e.g. 1000000x20000")
    parser.add_argument("--users", type=int, default=0, help="Default: events / 10.")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--search", action="store_true", help="Train with per-store selection.")
    parser.add_argument("--generate", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.generate:
        generate(args)
        return
    points = (
        [tuple(int(x) for x in p.lower().split("x")) for p in args.points]
        if args.points
        else POINTS
    )
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    mode = "with per-store selection" if args.search else "--no-search"
    print(
        f"personalization_train end to end ({mode}), PostgreSQL, {os.cpu_count()} cores, "
        f"commit {commit}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    print(
        f"  {'interactions':>12s} {'items':>7s} {'wall s':>7s} {'cpu s':>7s} {'peak MB':>8s}"
        f" {'bare ALS s':>10s} {'x bare':>7s}  stages"
    )
    for events, items in points:
        r = point(args, events, items)
        ratio = float(r["wall_s"]) / max(float(r["bare_als_wall_s"]), 1e-9)
        stages = " ".join(f"{k} {v}" for k, v in dict(r["stages"]).items())
        print(
            f"  {events:>12,d} {items:>7,d} {r['wall_s']:>7.1f} {r['cpu_s']:>7.1f} "
            f"{r['peak_mb']:>8,d} {r['bare_als_wall_s']:>10.1f} {ratio:>7.2f}  {stages}"
            f"{'  (EASE)' if r['ease'] else ''}",
            flush=True,
        )
        if args.json:
            print(json.dumps(r))
    print(
        f"  targets: 1M x 20k <= {TARGET_SECONDS:.0f} s and <= {TARGET_MB:.0f} MB peak"
        " (without search); wall and CPU are the command's own, peak RSS its own"
    )


if __name__ == "__main__":
    main()
