"""Batch membership (sizes) agrees with per-request membership, subject by subject."""

from __future__ import annotations

import random
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from personalization_plugin.profiles.profile import Profile, build_from_db
from personalization_plugin.scores.features import EventArrays
from personalization_plugin.segments import population
from personalization_plugin.segments.batch import Population, evaluate_tree
from personalization_plugin.segments.builtins import BUILTIN_SEGMENTS
from personalization_plugin.segments.context import EvalContext
from personalization_plugin.segments.rules import compile_tree

from .factories import event, products

pytestmark = pytest.mark.django_db

EXTRA_TREES = [
    {"rule": "viewed_category", "category": "cookware", "min_views": 2, "days": 14},
    {"rule": "viewed_without_cart", "min_views": 2, "days": 10},
    {"rule": "searched", "term": "lamp", "days": 20},
    {"rule": "rfm", "min_recency": 3, "min_frequency": 2, "min_monetary": 3},
    {"rule": "spent_at_least", "amount": 50},
    {"rule": "at_risk", "factor": 1.2, "min_days": 0},
    {"rule": "abandoned_cart", "idle_minutes": 600},
    {
        "all": [
            {"rule": "returning_visitor"},
            {
                "not": {
                    "any": [
                        {"rule": "loyal", "min_orders": 3},
                        {"rule": "device", "devices": ["mobile"]},
                    ]
                }
            },
        ]
    },
]


def simulate(seed: int = 7) -> None:
    rng = random.Random(seed)
    ids = products(6, "cookware") + products(4, "garden")
    now = timezone.now()
    for n in range(40):
        who = {"customer": f"c{n}"} if n % 3 else {"visitor": f"v{n}"}
        for _ in range(rng.randint(1, 25)):
            kind = rng.choice(
                [
                    "view",
                    "view",
                    "view",
                    "category_view",
                    "search",
                    "cart_add",
                    "cart_remove",
                    "purchase",
                ]
            )
            at = now - timedelta(days=rng.uniform(0, 120))
            pid = rng.choice(ids)
            if kind == "category_view":
                event(kind, at=at, category_id=rng.choice(["cookware", "garden"]), **who)
            elif kind == "search":
                event(kind, at=at, query=rng.choice(["Desk LAMP", "pan", "lampshade"]), **who)
            elif kind == "purchase":
                for _line in range(rng.randint(1, 2)):
                    event(
                        kind,
                        at=at,
                        product_id=rng.choice(ids),
                        order_id=f"{n}-{at.timestamp():.0f}",
                        price=str(rng.randint(5, 60)),
                        quantity=rng.randint(1, 2),
                        **who,
                    )
            else:
                event(kind, at=at, product_id=pid, **who)


def test_batch_and_per_request_membership_agree_for_every_subject():
    simulate()
    now = timezone.now()
    stats = population.compute(now.timestamp())
    pop = Population(EventArrays.load(until=now), now, stats)
    trees = [spec["rules"] for spec in BUILTIN_SEGMENTS] + EXTRA_TREES
    profiles = {s: Profile(build_from_db(s)) for s in pop.e.subjects}
    for tree in trees:
        batch = evaluate_tree(tree, pop)
        compiled = compile_tree(tree)
        single = np.array(
            [
                compiled.match(EvalContext(profile=profiles[s], now=now, population=stats))
                for s in pop.e.subjects
            ]
        )
        assert (batch == single).all(), (tree, list(pop.e.subjects[batch != single]))


def test_simulated_data_exercises_both_outcomes_of_most_rules():
    simulate()
    now = timezone.now()
    pop = Population(EventArrays.load(until=now), now, population.compute(now.timestamp()))
    mixed = [t for t in EXTRA_TREES if 0 < evaluate_tree(t, pop).sum() < pop.n]
    assert len(mixed) >= 6
