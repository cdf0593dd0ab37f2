"""The demo store under load, with personalization on and off, and zero events lost.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/load.py [--levels 1,4,16]
        [--seconds 6] [--max-requests 1500] [--workers 2] [--threads 4] [--db sqlite|postgres]

Everything runs on loopback and is torn down at the end:

1. A private redis-server on a free port, a temporary SQLite file (or, with
   --db postgres, a fresh database `sp_load_<pid>` created and dropped on the local
   server), the demo seeded at a small size and a trained model.
2. Two gunicorn servers (gthread workers) on the same database and Redis: the store as
   shipped ("on") and the same store with PERSONALIZATION["ENABLED"] = False ("off").
3. At each concurrency level, N client threads act as shoppers (own cookies, keep-alive
   connections): the home page, product pages, the htmx widget partials
   (/widgets/p/<placement>/), GraphQL `recommendations` queries and tracking beacons
   (POST /personalization/events/ with the token the page embeds). Each level runs for
   at most --seconds and --max-requests per side; "on" and "off" alternate per level.
   The load comes from one IP address, so the per-IP intake limit is raised for the run
   (the per-visitor limit stays as configured).
4. A fault phase: the "on" store under load (8 shoppers) while its redis-server is
   killed with SIGKILL and restarted on the same port (Redis runs with an fsync-always
   append-only file, as an event stream in production should).
5. Afterwards the gunicorn servers are stopped gracefully (workers flush the events they
   buffered in-process during the outage), `personalization_flush` moves the Redis stream
   to the database, and the impression/click events stored are compared with the number
   the endpoint accepted.

Printed: requests/s, p50/p99 latency and error rate (5xx, connection errors and
unexpected statuses) per level and side, the on/off ratios, and events accepted vs
stored. The machine is shared and has two cores: compare ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "example_site"
# The interpreter running this script, and the gunicorn beside it (a worktree has no
# .venv of its own).
PY = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
TOKEN_RE = re.compile(r'data-sp-token="([0-9a-f]*)"')
GRAPHQL = (
    "query Recs($p: RecommendationPlacement!, $id: ID) { recommendations(placement: $p, "
    "productId: $id, first: 8) { modelVersion recommendationId items { position reason "
    "product { id title url price } } } }"
)

SETTINGS = """\
import os
from example_site.settings import *  # noqa: F401,F403
from example_site.settings import PERSONALIZATION as _P

DEBUG = False
PERSONALIZATION = {{
    **_P,
    "REDIS_URL": os.environ["SP_LOAD_REDIS"],
    "KEY_PREFIX": "spload",
    "MODEL_DIR": os.environ["SP_LOAD_MODELS"],
    "RATE_LIMIT_PER_MINUTE": 1_000_000,  # all load comes from one IP address
    "ENABLED": {enabled},
}}
LOGGING = {{
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {{"console": {{"class": "logging.StreamHandler"}}}},
    "loggers": {{"personalization_plugin": {{"handlers": ["console"], "level": "WARNING"}}}},
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answers on 127.0.0.1:{port} after {timeout} s")


class Environment:
    """The temp dir, redis-server, database and env of one run; cleaned up by close()."""

    def __init__(self, db: str) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="sp-load-"))
        self.processes: list[subprocess.Popen[bytes]] = []
        self.servers: list[subprocess.Popen[bytes]] = []
        self.redis_port = free_port()
        self.db = db
        self.pg_name = f"sp_load_{os.getpid()}"
        (self.tmp / "load_on.py").write_text(SETTINGS.format(enabled=True))
        (self.tmp / "load_off.py").write_text(SETTINGS.format(enabled=False))
        self.env = {
            **os.environ,
            "PYTHONPATH": f"{self.tmp}{os.pathsep}{SITE}",
            "SP_LOAD_REDIS": f"redis://127.0.0.1:{self.redis_port}/0",
            "SP_LOAD_MODELS": str(self.tmp / "models"),
            "DJANGO_SECRET_KEY": "load-benchmark-only",
            "OPENBLAS_NUM_THREADS": "1",
        }
        if db == "postgres":
            self.env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{self.pg_name}"
        else:
            self.env["DEMO_DB"] = str(self.tmp / "load.sqlite3")

    def start_redis(self) -> None:
        """Our own redis-server; with an fsync-always append-only file, so that a killed
        server comes back with its stream (as a production Redis for events should)."""
        redis_server = shutil.which("redis-server")
        if not redis_server:
            sys.exit("redis-server is not installed (make redis installs it).")
        self.redis = self.spawn(
            [redis_server, "--port", str(self.redis_port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "yes", "--appendfsync", "always",
             "--dir", str(self.tmp), "--daemonize", "no"],
        )  # fmt: skip
        wait_for_port(self.redis_port)

    def kill_redis(self) -> None:
        self.redis.kill()
        self.redis.wait(timeout=10)
        self.processes.remove(self.redis)

    def stop_servers(self) -> None:
        """SIGTERM the gunicorn masters: workers exit gracefully and flush their buffers."""
        for process in self.servers:
            process.terminate()
        for process in self.servers:
            process.wait(timeout=60)
            self.processes.remove(process)
        self.servers = []

    def spawn(self, args: list[str], log: str | None = None) -> subprocess.Popen[bytes]:
        out = open(self.tmp / log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115
        process = subprocess.Popen(args, env=self.env, cwd=SITE, stdout=out, stderr=out)
        self.processes.append(process)
        return process

    def manage(self, *args: str, settings: str = "load_on") -> str:
        result = subprocess.run(
            [PY, "manage.py", *args, f"--settings={settings}"],
            env=self.env,
            cwd=SITE,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode:
            sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def create_database(self) -> None:
        if self.db == "postgres":
            subprocess.run(
                ["createdb", "-h", "127.0.0.1", "-U", "postgres", self.pg_name], check=True
            )

    def serve(self, settings: str, workers: int, threads: int) -> int:
        port = free_port()
        server = self.spawn(
            [GUNICORN, "example_site.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--worker-class", "gthread", "--workers", str(workers), "--threads", str(threads),
             "--env", f"DJANGO_SETTINGS_MODULE={settings}", "--timeout", "60",
             "--keep-alive", "30"],
            log=f"gunicorn-{settings}.log",
        )  # fmt: skip
        self.servers.append(server)
        wait_for_port(port)
        return port

    def close(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
        for process in reversed(self.processes):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        if self.db == "postgres":
            subprocess.run(
                ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", self.pg_name],
                check=False,
            )
        shutil.rmtree(self.tmp, ignore_errors=True)


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    accepted_events: int = 0
    failed: dict[str, int] = field(default_factory=dict)  # "status path" of failures
    by_kind: dict[str, list[float]] = field(default_factory=dict)  # latencies per request kind
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float, status: int, ok: bool, accepted: int = 0, path: str = "") -> None:
        with self.lock:
            if not ok:
                label = f"{status} {path.split('?')[0]}"
                self.failed[label] = self.failed.get(label, 0) + 1
            self.latencies.append(seconds)
            self.by_kind.setdefault(kind_of(path), []).append(seconds)
            self.statuses[status] = self.statuses.get(status, 0) + 1
            self.errors += 0 if ok else 1
            self.accepted_events += accepted


class Shopper:
    """One simulated browser: a keep-alive connection, its cookies, its intake token."""

    def __init__(self, port: int, products: list[tuple[int, str]], rng: random.Random) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}
        self.token = ""
        self.last_path = ""
        self.products = products
        self.rng = rng

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:  # fmt: skip
        self.last_path = path
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()  # a dropped keep-alive connection: reconnect once
                if attempt:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, data

    def page(self, path: str) -> tuple[int, bool, int]:
        status, data = self.request("GET", path)
        match = TOKEN_RE.search(data.decode("utf-8", "replace"))
        if match:
            self.token = match.group(1)
        return status, status == 200, 0

    def partial(self) -> tuple[int, bool, int]:
        pk, _ = self.rng.choice(self.products)
        path = self.rng.choice(
            [
                "/widgets/p/for_you/?limit=8",
                f"/widgets/p/similar/?product_id={pk}&limit=6",
                f"/widgets/p/bought_together/?product_id={pk}&limit=4",
                "/widgets/p/trending/?limit=8",
                "/widgets/p/recently_viewed/",
            ]
        )
        status, _ = self.request("GET", path, headers={"HX-Request": "true"})
        return status, status == 200, 0

    def graphql(self) -> tuple[int, bool, int]:
        pk, _ = self.rng.choice(self.products)
        placement, product = self.rng.choice([("FOR_YOU", None), ("SIMILAR", str(pk))])
        body = json.dumps({"query": GRAPHQL, "variables": {"p": placement, "id": product}})
        status, data = self.request(
            "POST", "/graphql/", body.encode(), {"Content-Type": "application/json"}
        )
        ok = status == 200 and b'"errors"' not in data
        return status, ok, 0

    def beacon(self) -> tuple[int, bool, int]:
        events = [
            {"type": "impression", "product_id": str(self.rng.choice(self.products)[0]),
             "placement": "for_you", "position": n + 1}
            for n in range(2)
        ] + [{"type": "click", "product_id": str(self.rng.choice(self.products)[0]),
              "placement": "for_you", "position": 1}]  # fmt: skip
        body = json.dumps({"token": self.token, "events": events}).encode()
        status, data = self.request(
            "POST", "/personalization/events/", body, {"Content-Type": "text/plain;charset=UTF-8"}
        )
        accepted = json.loads(data).get("accepted", 0) if status == 202 else 0
        return status, status == 202, int(accepted)

    def step(self) -> tuple[int, bool, int]:
        roll = self.rng.random()
        if roll < 0.10:
            return self.page("/")
        if roll < 0.35:
            return self.page(f"/products/{self.rng.choice(self.products)[1]}/")
        if roll < 0.65:
            return self.partial()
        if roll < 0.80:
            return self.graphql()
        return self.beacon()


def kind_of(path: str) -> str:
    """A request's kind for the per-kind figures: page, partial, graphql or beacon."""
    if path.startswith("/widgets/p/"):
        return "partial " + path.split("/")[3]
    if path.startswith("/graphql/"):
        return "graphql"
    if path.startswith("/personalization/events/"):
        return "beacon"
    return "home page" if path == "/" else "product page"


def run_level(port: int, products: list[tuple[int, str]], concurrency: int, seconds: float,
              max_requests: int, seed: int) -> tuple[Tally, float]:  # fmt: skip
    tally = Tally()
    budget = [max_requests]
    budget_lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def take() -> bool:
        with budget_lock:
            if budget[0] <= 0 or time.monotonic() > deadline:
                return False
            budget[0] -= 1
            return True

    def shopper_loop(n: int) -> None:
        shopper = Shopper(port, products, random.Random(seed * 1000 + n))
        first = True
        while take():
            started = time.perf_counter()
            try:
                status, ok, accepted = shopper.page("/") if first else shopper.step()
            except (http.client.HTTPException, OSError, ValueError):
                status, ok, accepted = 0, False, 0
            tally.add(time.perf_counter() - started, status, ok, accepted, shopper.last_path)
            first = False
        shopper.conn.close()

    threads = [threading.Thread(target=shopper_loop, args=(n,)) for n in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally, time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def fault_phase(environment: Environment, port: int, products: list[tuple[int, str]],
                args: argparse.Namespace) -> int:  # fmt: skip
    """Load the "on" store while its Redis is killed (SIGKILL) and restarted on the same
    port; returns the events accepted. Requests, errors and latency are printed."""
    seconds = args.fault_seconds

    def outage() -> None:
        time.sleep(seconds / 3)
        environment.kill_redis()
        time.sleep(seconds / 3)
        environment.start_redis()

    killer = threading.Thread(target=outage)
    killer.start()
    tally, elapsed = run_level(port, products, 8, seconds, 10**6, seed=99)
    killer.join()
    n = len(tally.latencies)
    print()
    print(
        f"fault phase (on, concurrency 8, Redis SIGKILLed at {seconds / 3:.0f} s and restarted "
        f"at {2 * seconds / 3:.0f} s): {n} requests, {n / elapsed:.1f} req/s, "
        f"p50 {percentile(tally.latencies, 0.5) * 1000:.1f} ms, "
        f"p99 {percentile(tally.latencies, 0.99) * 1000:.1f} ms, errors {tally.errors / max(n, 1):.2%}, "
        f"statuses {dict(sorted(tally.statuses.items()))}"
    )
    if tally.failed:
        print(f"failed requests by status and path: {tally.failed}")
    return tally.accepted_events


def count_tracked(environment: Environment) -> int:
    code = (
        "from personalization_plugin.models import Event; "
        "print(Event.objects.filter(type__in=['impression', 'click']).count())"
    )
    return int(environment.manage("shell", "-c", code).strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", default="1,4,16")
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--max-requests", type=int, default=1500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--products", type=int, default=150)
    parser.add_argument("--shoppers", type=int, default=300)
    parser.add_argument("--events", type=int, default=8000)
    parser.add_argument(
        "--fault-seconds",
        type=float,
        default=9.0,
        help="Length of the Redis-outage phase after the levels (0 skips it).",
    )
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]

    environment = Environment(args.db)
    try:
        t0 = time.perf_counter()
        environment.start_redis()
        environment.create_database()
        environment.manage("migrate", "--noinput")
        environment.manage(
            "seed_demo", f"--products={args.products}", f"--shoppers={args.shoppers}",
            f"--events={args.events}",
        )  # fmt: skip
        environment.manage("personalization_flush")
        environment.manage("personalization_train")
        listing = environment.manage(
            "shell", "-c",
            "import json; from shop.models import Product; "
            "print(json.dumps(list(Product.objects.published().values_list('pk', 'slug')[:500])))",
        )  # fmt: skip
        products = [tuple(p) for p in json.loads(listing.strip().splitlines()[-1])]
        tracked_before = count_tracked(environment)
        ports = {
            "on": environment.serve("load_on", args.workers, args.threads),
            "off": environment.serve("load_off", args.workers, args.threads),
        }
        print(
            f"setup {time.perf_counter() - t0:.0f} s: {args.db}, {len(products)} products, "
            f"gunicorn {args.workers} gthread workers x {args.threads} threads per side, "
            f"levels {levels}, <= {args.seconds:g} s and <= {args.max_requests} requests "
            "per level and side"
        )
        for port in ports.values():  # warm up every worker
            run_level(port, products, 4, 2.0, 60, seed=0)

        rows = []
        accepted = 0
        for level in levels:
            results = {}
            for side in ("on", "off") if level % 2 else ("off", "on"):
                tally, elapsed = run_level(
                    ports[side], products, level, args.seconds, args.max_requests, seed=level
                )
                results[side] = (tally, elapsed)
                if side == "on":
                    accepted += tally.accepted_events
            rows.append((level, results))

        print()
        print(f"{'conc':>4} {'side':>4} {'requests':>8} {'req/s':>7} {'p50 ms':>7} "
              f"{'p99 ms':>7} {'errors':>7}  statuses")  # fmt: skip
        for level, results in rows:
            for side in ("on", "off"):
                tally, elapsed = results[side]
                n = len(tally.latencies)
                print(
                    f"{level:>4} {side:>4} {n:>8} {n / elapsed:>7.1f} "
                    f"{percentile(tally.latencies, 0.5) * 1000:>7.1f} "
                    f"{percentile(tally.latencies, 0.99) * 1000:>7.1f} "
                    f"{tally.errors / max(n, 1):>7.2%}  {dict(sorted(tally.statuses.items()))}"
                )
        failures: dict[str, int] = {}
        for _level, results in rows:
            for tally, _elapsed in results.values():
                for label, n in tally.failed.items():
                    failures[label] = failures.get(label, 0) + n
        if failures:
            print(f"failed requests by status and path: {failures}")
        top_level, top = rows[-1]
        print()
        print(f"p50 / p99 ms per request kind at concurrency {top_level} (on vs off):")
        on_kinds, off_kinds = top["on"][0].by_kind, top["off"][0].by_kind
        for kind in sorted(on_kinds):
            on_k, off_k = on_kinds[kind], off_kinds.get(kind, [])
            print(
                f"  {kind:<26} on {percentile(on_k, 0.5) * 1000:6.1f} / "
                f"{percentile(on_k, 0.99) * 1000:6.1f}   off {percentile(off_k, 0.5) * 1000:6.1f} / "
                f"{percentile(off_k, 0.99) * 1000:6.1f}   (n={len(on_k)}/{len(off_k)})"
            )
        print()
        print("cost of personalization (on / off, same request mix):")
        for level, results in rows:
            (on, on_s), (off, off_s) = results["on"], results["off"]
            rps = (len(on.latencies) / on_s) / max(len(off.latencies) / off_s, 1e-9)
            p50 = percentile(on.latencies, 0.5) / percentile(off.latencies, 0.5)
            p99 = percentile(on.latencies, 0.99) / percentile(off.latencies, 0.99)
            print(f"  concurrency {level:>2}: req/s x{rps:.2f}, p50 x{p50:.2f}, p99 x{p99:.2f}")

        if args.fault_seconds > 0:
            accepted += fault_phase(environment, ports["on"], products, args)

        environment.stop_servers()  # workers flush what they buffered during the outage
        flushed = environment.manage("personalization_flush")
        stored = count_tracked(environment) - tracked_before
        print()
        print(f"events accepted by the endpoint (on): {accepted}")
        print(f"events stored after personalization_flush: {stored}  ({flushed.strip()})")
        print(f"lost: {accepted - stored}")
        if accepted != stored:
            sys.exit("FAILED: stored events differ from accepted events")
    finally:
        environment.close()


if __name__ == "__main__":
    main()
