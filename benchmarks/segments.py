"""Segment membership cost per request, against evaluating the same rules with queries.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/segments.py [--subjects 2000] [--runs 500]

A synthetic store (a temporary SQLite file): `--subjects` shoppers with about 30 events
each over 120 days, and 20 enabled segments (the 9 built-ins plus 11 of every other rule
kind: category views, browse-without-cart, searches, RFM, top spenders, spend, scores,
device, time of day, UTM, signed in). Scores are trained and RFM breakpoints computed
first, as `personalization_scores` and `personalization_segments` would.

Measured, for random shoppers, each with a fresh request (so nothing is memoised):
  fast      `engine.segments_for(request)`: one cache read (in-process, then Redis if it
            answers on REDIS_TEST_URL) + the compiled closures of 20 segments. Target p50 <= 1 ms.
  cold      the same when the shopper's profile is not cached yet (built from their events).
  baseline  the same 20 rule trees evaluated the way wagtail-personalisation does it:
            every rule leaf queries the shopper's events it needs from the database.
  batch     sizes of all 20 segments over every shopper (`sizes.compute`, numpy).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

CATEGORIES = [f"cat{i}" for i in range(12)]
CUSTOM_SEGMENTS = [
    ("cookware-fans", {"rule": "viewed_category", "category": "cat1", "min_views": 3, "days": 30}),
    ("garden-fans", {"rule": "viewed_category", "category": "cat2", "min_views": 2, "days": 14}),
    ("hesitant", {"rule": "viewed_without_cart", "min_views": 3, "days": 30}),
    ("lamp-seekers", {"rule": "searched", "term": "lamp", "days": 30}),
    ("champions", {"rule": "rfm", "min_recency": 4, "min_frequency": 4, "min_monetary": 4}),
    ("top-5", {"rule": "top_spenders", "percent": 5}),
    ("spent-200", {"rule": "spent_at_least", "amount": 200}),
    ("churn-risk", {"rule": "score", "score": "churn_risk", "op": ">=", "value": 0.7}),
    (
        "mobile-returning",
        {"all": [{"rule": "device", "devices": ["mobile"]}, {"rule": "returning_visitor"}]},
    ),
    (
        "night-owls",
        {
            "any": [
                {"rule": "time_of_day", "from_hour": 22, "to_hour": 6},
                {"rule": "day_of_week", "days": ["sun"]},
            ]
        },
    ),
    (
        "spring-signed-in",
        {
            "all": [
                {"rule": "utm", "campaign": "spring"},
                {"not": {"rule": "signed_in", "value": False}},
            ]
        },
    ),
]


def seed(subjects: int, rng: random.Random) -> None:
    from django.utils import timezone

    from personalization_plugin.models import Event

    now = timezone.now()
    rows = []
    for n in range(subjects):
        customer = f"c{n}" if n % 4 else ""
        visitor = f"v{n}"
        for _ in range(rng.randint(5, 55)):
            kind = rng.choices(
                ["view", "category_view", "search", "cart_add", "cart_remove", "purchase"],
                [60, 10, 6, 10, 3, 8],
            )[0]
            at = now - timedelta(days=rng.uniform(0, 120))
            cat = rng.choice(CATEGORIES)
            fields = {
                "event_id": uuid.uuid4().hex,
                "type": kind,
                "visitor_id": visitor,
                "customer_id": customer,
                "occurred_at": at,
                "category_id": cat if kind in ("view", "category_view") else "",
                "product_id": ""
                if kind in ("category_view", "search")
                else str(rng.randint(1, 2000)),
                "query": rng.choice(["desk lamp", "pan", "blue mug"]) if kind == "search" else "",
            }
            if kind == "purchase":
                if not customer:
                    continue
                fields.update(
                    order_id=f"{n}-{at.timestamp():.0f}", price=Decimal(rng.randint(5, 90))
                )
            rows.append(Event(**fields))
    Event.objects.bulk_create(rows, batch_size=5000)


def db_tree(node: dict, subject: str, ctx_kwargs: dict) -> bool:
    """Baseline: evaluate a rule tree with a database query per rule leaf."""
    from personalization_plugin.profiles.profile import Profile, build_from_db
    from personalization_plugin.segments.context import EvalContext
    from personalization_plugin.segments.rules import _leaf

    if "rule" in node:
        predicate, kind, _ = _leaf("rules", node)
        raw = build_from_db(subject, kind.event_types) if kind.event_types else None
        return predicate(EvalContext(profile=Profile(raw), **ctx_kwargs))
    if "not" in node:
        return not db_tree(node["not"], subject, ctx_kwargs)
    parts = (db_tree(child, subject, ctx_kwargs) for child in node.get("all") or node["any"])
    return all(parts) if "all" in node else any(parts)


def ms(samples: list[float]) -> tuple[float, float]:
    values = np.asarray(samples) * 1000.0
    return float(np.percentile(values, 50)), float(np.percentile(values, 99))


def measure(label: str, samples: list[float]) -> float:
    p50, p99 = ms(samples)
    print(f"  {label:<44} p50 {p50:8.3f} ms   p99 {p99:8.3f} ms")
    return p50


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subjects", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=500)
    args = parser.parse_args()

    import django
    from django.conf import settings

    folder = Path(tempfile.mkdtemp(prefix="sp-segments-db-"))
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        settings.DATABASES["default"]["NAME"] = str(folder / "bench.sqlite3")
    django.setup()
    from django.contrib.auth.models import AnonymousUser
    from django.core.management import call_command
    from django.test import RequestFactory

    call_command("migrate", verbosity=0)
    from personalization_plugin.core.conf import plugin_settings
    from personalization_plugin.profiles import store
    from personalization_plugin.scores.training import train
    from personalization_plugin.segments import engine, sizes
    from personalization_plugin.segments.builtins import ensure_builtins
    from personalization_plugin.segments.context import RequestFacts
    from personalization_plugin.segments.models import Segment
    from personalization_plugin.tracking.identity import Visitor

    rng = random.Random(42)
    started = time.perf_counter()
    seed(args.subjects, rng)
    ensure_builtins()
    for slug, rules in CUSTOM_SEGMENTS:
        Segment.objects.create(name=slug, slug=slug, rules=rules)
    defs = engine.definitions()
    assert len(defs) == 20, len(defs)
    scores = train(21)
    batch_started = time.perf_counter()
    sized = sizes.compute()
    batch_seconds = time.perf_counter() - batch_started
    from personalization_plugin.models import Event

    print(
        f"{args.subjects} shoppers, {Event.objects.count()} events, {len(defs)} segments "
        f"(setup {time.perf_counter() - started:.1f} s); churn AUC "
        f"{scores['churn_risk'].get('auc', 'n/a')}"
    )
    factory = RequestFactory()
    agents = ["Mozilla/5.0 (iPhone) Mobile/15E148", "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"]
    picks = [rng.randrange(args.subjects) for _ in range(args.runs)]

    def make_request(n: int):
        request = factory.get("/?utm_campaign=spring", HTTP_USER_AGENT=agents[n % 2])
        request.user = AnonymousUser()
        request.visitor = Visitor(visitor_id=f"v{n}", customer_id=f"c{n}" if n % 4 else "")
        return request

    def fast_run() -> list[float]:
        out = []
        for n in picks:
            request = make_request(n)
            t = time.perf_counter()
            engine.segments_for(request)
            out.append(time.perf_counter() - t)
        return out

    print("Per-request membership against 20 segments:")
    store.clear_local()
    cold = fast_run()  # first touch of each shopper builds and caches the profile
    fast = fast_run()
    cold_p50 = measure("cold (profile built from events, then cached)", cold)
    fast_p50 = measure("fast, in-process profile cache", fast)
    redis_p50 = None
    try:
        import redis

        redis.Redis.from_url(settings.REDIS_TEST_URL).ping()
        settings.PERSONALIZATION = {
            **settings.PERSONALIZATION,
            "REDIS_URL": settings.REDIS_TEST_URL,
        }
        plugin_settings.reload()
        assert store._redis() is not None
        engine.forget_definitions()
        fast_run()
        redis_p50 = measure("fast, Redis profile cache (MGET)", fast_run())
        client = redis.Redis.from_url(settings.REDIS_TEST_URL)
        cached = sum(1 for _ in client.scan_iter(f"{plugin_settings.KEY_PREFIX}:seg:p:*"))
        print(f"  ({cached} profiles cached in Redis)")
        for key in client.scan_iter(f"{settings.PERSONALIZATION['KEY_PREFIX']}:*"):
            client.delete(key)
        settings.PERSONALIZATION = {**settings.PERSONALIZATION, "REDIS_URL": None}
        plugin_settings.reload()
    except Exception as exc:  # Redis is optional for this figure
        print(f"  (Redis not measured: {type(exc).__name__})")

    trees = [(d.slug, Segment.objects.get(slug=d.slug).rules) for d in defs]
    from personalization_plugin.scores.model import active_models
    from personalization_plugin.segments.population import current

    baseline = []
    pop, models = current(), active_models()
    for n in picks[: max(50, args.runs // 5)]:
        request = make_request(n)
        t = time.perf_counter()
        facts = RequestFacts.from_request(request, signed_in=bool(request.visitor.customer_id))
        ctx_kwargs = {"request": facts, "population": pop, "score_models": models}
        [slug for slug, tree in trees if db_tree(tree, request.visitor.subject, ctx_kwargs)]
        baseline.append(time.perf_counter() - t)
    base_p50 = measure("baseline, a DB query per rule leaf", baseline)
    print(f"  ratio baseline / fast (in-process): {base_p50 / fast_p50:8.1f}x")
    if redis_p50:
        print(f"  ratio baseline / fast (Redis):      {base_p50 / redis_p50:8.1f}x")
    print(f"  cold / fast: {cold_p50 / fast_p50:.1f}x")
    print(
        f"Batch sizes of {len(sized)} segments over {sized[0]['population']} shoppers: "
        f"{batch_seconds:.2f} s (numpy over all events, incl. loading them)"
    )
    target = "met" if fast_p50 <= 1.0 else "NOT met"
    print(f"Target p50 <= 1 ms: {target} ({fast_p50:.3f} ms)")


if __name__ == "__main__":
    main()
