"""Report pages at 1M events and 100k visitors, against a same-run COUNT(*) baseline.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/reports.py [--events 1000000]

A synthetic store in a temporary SQLite file: `--events` events by `--visitors` people
over 90 days (views, recommendation impressions and clicks, cart adds, order lines with
skewed prices), inserted with executemany. One running experiment on "for_you" over the
last 30 days. Then, each page fetched `--runs` times through Django's test client as a
signed-in superuser (templates, permissions and all):

  baseline    one `SELECT COUNT(*)` over the events table (what any report must beat)
  dashboard   /admin/personalization/?days=30 and ?days=90 (roll-ups + today live)
  home        /admin/ (the Wagtail home with the plugin's summary panel)
  experiment  the experiment's results page on its per-person roll-up, against the
              old event scan (`experiment_results`, its own section)

and `refresh_day` on a day holding `--day-events` events (target <= 5 s). Printed: p50
and p95 wall time, CPU time of the process, and p95 as a multiple of the baseline's p95.
Target: each page p95 <= 500 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

TYPES = ("view", "impression", "click", "cart_add", "purchase", "checkout", "search")
SHARES = (0.52, 0.24, 0.06, 0.08, 0.05, 0.02, 0.03)
QUERIES = [f"query {k}" for k in range(300)]
PLACEMENTS = ("for_you", "similar", "bought_together", "cart")


def insert_events(
    n: int,
    visitors: int,
    days: int,
    rng: np.random.Generator,
    *,
    day=None,
    recent=False,
    uniform=False,
) -> None:
    """`n` events (on `day` only, when given; in the last minute when `recent`) straight
    into the events table."""
    from django.db import connection, transaction
    from django.utils import timezone

    from personalization_plugin.models import Event

    now = timezone.now()
    table = Event._meta.db_table
    cols = [f.column for f in Event._meta.concrete_fields if f.column != "id"]
    sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})"
    who = rng.zipf(1.3, n) % visitors  # a few heavy visitors, a long tail
    if uniform:  # ordinary visitors only (the zipf draw's heaviest holds ~30 % of events)
        who = rng.integers(1000, visitors, n)
    kinds = rng.choice(len(TYPES), n, p=SHARES)
    if recent:
        at = [now - timedelta(seconds=float(s)) for s in rng.uniform(1, 60, n)]
    elif day is None:
        ago = rng.uniform(0, days * 86400, n)
        at = [now - timedelta(seconds=float(s)) for s in ago]
    else:
        start = timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time()))
        at = [start + timedelta(seconds=float(s)) for s in rng.uniform(0, 86399, n)]
    products = rng.integers(0, 2000, n)
    prices = np.round(rng.lognormal(3.0, 0.8, n), 2)
    rows = []
    for i in range(n):
        kind = TYPES[kinds[i]]
        recommended = kind in ("impression", "click")
        rows.append(
            (
                uuid.uuid4().hex,
                kind,
                f"{who[i]:032x}",
                str(who[i]) if who[i] % 5 == 0 else "",  # a fifth are signed in
                f"p{products[i]}" if kind != "search" else "",
                "",
                "",
                f"o{who[i]}-{i // 3}" if kind == "purchase" else "",
                QUERIES[products[i] % 300] if kind == "search" else "",
                1,
                str(prices[i]) if kind in ("purchase", "cart_add") else None,
                "EUR" if kind == "purchase" else "",
                PLACEMENTS[products[i] % 4] if recommended else "",
                "",
                None,
                json.dumps({"results": int(products[i] % 7)}) if kind == "search" else "{}",
                at[i],
                now,
            )
        )
    with transaction.atomic(), connection.cursor() as cursor:
        for k in range(0, n, 50_000):
            cursor.executemany(sql, rows[k : k + 50_000])


def timed(fn, runs: int) -> tuple[list[float], float]:
    """Wall times (s) of `runs` calls after one warm-up, and their total CPU time."""
    fn()
    walls = []
    cpu = time.process_time()
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        walls.append(time.perf_counter() - started)
    return walls, time.process_time() - cpu


def cold_pages(get) -> dict[str, tuple[float, float, float, float]]:
    """The first dashboard load after a roll-up refresh: the per-process caches of past
    aggregates are empty, so the roll-up tables are read in full (3 runs)."""
    from personalization_plugin.reports import rollups, store_figures

    walls, cpus = [], []
    for _ in range(3):
        store_figures.forget()
        rollups._past_counts.clear()
        cpu = time.process_time()
        started = time.perf_counter()
        get("/admin/personalization/?days=90")()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return {
        "dashboard 90 d, cold": (
            statistics.median(walls),
            max(walls),
            statistics.median(cpus),
            min(walls),
        )
    }


def p95(values: list[float]) -> float:
    return float(np.percentile(values, 95))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--visitors", type=int, default=100_000)
    parser.add_argument("--day-events", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    import django
    from django.conf import settings

    folder = Path(tempfile.mkdtemp(prefix="sp-reports-db-"))
    settings.DATABASES["default"] = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(folder / "bench.sqlite3"),
    }
    settings.ALLOWED_HOSTS = ["*"]
    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from personalization_plugin.experiments.models import Experiment
    from personalization_plugin.models import Event
    from personalization_plugin.reports import rollups

    call_command("migrate", verbosity=0)
    rng = np.random.default_rng(11)
    started = time.perf_counter()
    insert_events(args.events - args.day_events, args.visitors, 90, rng)
    yesterday = rollups.today() - timedelta(days=1)
    insert_events(args.day_events, args.visitors, 1, rng, day=yesterday)
    print(f"{Event.objects.count():,} events inserted in {time.perf_counter() - started:.0f} s")

    started = time.perf_counter()
    days = rollups.refresh()
    print(f"first roll-up of {len(days)} days: {time.perf_counter() - started:.1f} s")
    day_count = Event.objects.filter(
        occurred_at__gte=rollups.bounds(yesterday)[0], occurred_at__lt=rollups.bounds(yesterday)[1]
    ).count()
    walls, cpu = timed(lambda: rollups.refresh_day(yesterday), 3)
    print(
        f"refresh of one day ({day_count:,} events), 3 runs: min {min(walls):.2f} s, "
        f"median {statistics.median(walls):.2f} s wall, {cpu / 3:.2f} s CPU (target <= 5 s)"
    )

    experiment = Experiment.objects.create(
        name="bench",
        placement="for_you",
        holdout_percent=30,
        status=Experiment.Status.RUNNING,
        started_at=timezone.now() - timedelta(days=30),
        baseline_rate=0.05,
        planned_visitors=50_000,
    )
    user = User.objects.create_superuser("bench", "bench@example.com", "pw")
    client = Client()
    client.force_login(user)

    def get(url: str):
        def fetch() -> None:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return fetch

    pages = {
        "baseline COUNT(*)": lambda: Event.objects.count(),
        "dashboard 30 days": get("/admin/personalization/?days=30"),
        "dashboard 90 days": get("/admin/personalization/?days=90"),
        "admin home": get("/admin/"),
    }  # the experiment results page: its own section, `experiment_results`
    results = {}
    for name, fn in pages.items():
        walls, cpu = timed(fn, args.runs)
        results[name] = (statistics.median(walls), p95(walls), cpu / args.runs, min(walls))
    results.update(cold_pages(get))
    base = results["baseline COUNT(*)"][1]
    print(f"{'page':<22}{'min ms':>9}{'p50 ms':>9}{'p95 ms':>9}{'CPU ms':>9}{'x baseline':>12}")
    for name, (p50, p95_, cpu, low) in results.items():
        print(
            f"{name:<22}{low * 1000:>9.0f}{p50 * 1000:>9.0f}{p95_ * 1000:>9.0f}"
            f"{cpu * 1000:>9.0f}{p95_ / base:>12.1f}"
        )
    print(json.dumps({k: round(v[1] * 1000) for k, v in results.items()}))
    experiment_results(experiment, client, args.runs, rng)


def experiment_results(experiment, client, runs: int, rng: np.random.Generator) -> None:
    """The experiment page on its per-person roll-up, against the same-run COUNT(*).

    The store's events are stored as a live store stores them, just after they happen
    (`stored_at` = `occurred_at`; the synthetic insert stamped them all "now"). Then:

      build       the first roll-up of the experiment (one scan of its window)
      scan        the analysis by scanning the events (`analyse(scan=True)`, the old page)
      page        the results page, nothing stored since the last refresh
      page +200   the results page with 200 new events stored before each load (live
                  traffic from ordinary visitors: the page recounts their people first)
      +200 zipf   the same with the store's zipf draw, whose heaviest few "visitors" hold
                  a third of all events (a recount reads all of that person's events)

    Printed: p50 and p95 wall, CPU per load, p95 as a multiple of the baseline's p95.
    Target: the page p95 <= 500 ms.
    """
    from django.db.models import F

    from personalization_plugin.experiments import person_rollup
    from personalization_plugin.experiments.metrics import analyse
    from personalization_plugin.experiments.models import ExposedPerson
    from personalization_plugin.models import Event

    Event.objects.update(stored_at=F("occurred_at"))
    url = f"/admin/personalization/experiments/{experiment.pk}/results/"
    started, cpu = time.perf_counter(), time.process_time()
    person_rollup.refresh(experiment)
    print(
        f"\nexperiment results: roll-up built in {time.perf_counter() - started:.2f} s wall, "
        f"{time.process_time() - cpu:.2f} s CPU "
        f"({ExposedPerson.objects.filter(experiment=experiment).count():,} exposed people)"
    )
    visitors = int(Event.objects.values("visitor_id").distinct().count())

    def page() -> None:
        response = client.get(url)
        assert response.status_code == 200, response.status_code

    def live_page() -> None:
        insert_events(200, visitors, 1, rng, day=None, recent=True, uniform=True)
        page()

    def heavy_page() -> None:
        insert_events(200, visitors, 1, rng, day=None, recent=True)
        page()

    cases = {
        "baseline COUNT(*)": lambda: Event.objects.count(),
        "scan (old page)": lambda: analyse(experiment, scan=True),
        "page": page,
        "page +200 new events": live_page,
        "page +200 zipf events": heavy_page,
    }
    results = {}
    for name, fn in cases.items():
        n = runs if name in ("page", "page +200 new events") else max(3, runs // 4)  # slow ones
        walls, cpu_total = timed(fn, n)
        results[name] = (statistics.median(walls), p95(walls), cpu_total / n)
    base = results["baseline COUNT(*)"][1]
    print(f"{'experiment results':<24}{'p50 ms':>9}{'p95 ms':>9}{'CPU ms':>9}{'x baseline':>12}")
    for name, (p50, p95_, cpu_) in results.items():
        print(
            f"{name:<24}{p50 * 1000:>9.0f}{p95_ * 1000:>9.0f}{cpu_ * 1000:>9.0f}"
            f"{p95_ / base:>12.1f}"
        )
    rolled, scanned = analyse(experiment), analyse(experiment, scan=True)
    same = (rolled.control, rolled.treatment, rolled.estimates) == (
        scanned.control,
        scanned.treatment,
        scanned.estimates,
    )
    print(f"roll-up analysis equals the event scan: {same} ({rolled.people:,} people)")


if __name__ == "__main__":
    main()
