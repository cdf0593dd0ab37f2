"""`manage.py personalization_demo_experiment`: an A/B test with simulated traffic.

For a demo store seeded by `seed_demo`: creates a running experiment on a placement
(popular baseline vs personalized, with a holdout), then replays recent sessions for
the store's known shoppers through the real `recommend()`, so each shopper gets the
list of their own arm, and records what a shopper plausibly did with it (impressions,
clicks, cart adds, orders) through `track()`. Shoppers click products that match
their own history more often, so the personalized arm earns its lift only if its
lists really are more relevant. Meant for demos and screenshots, never for a live store.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from personalization_plugin.experiments.models import Experiment
from personalization_plugin.models import Event, ModelVersion
from personalization_plugin.tracking.identity import Visitor

P_CLICK_MATCH = 0.22  # a recommended product in one of the shopper's own categories
P_CLICK_OTHER = 0.03
P_CART = 0.35  # after a click
P_ORDER = 0.55  # after a cart add


class Command(BaseCommand):
    help = "Create a running experiment and simulate recommendation traffic for it (demo only)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--placement", default="for_you")
        parser.add_argument("--holdout", type=int, default=30, help="Percent in the control arm.")
        parser.add_argument("--days", type=int, default=14)
        parser.add_argument("--sessions", type=int, default=6, help="Sessions per shopper.")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--if-none",
            action="store_true",
            help="Do nothing when any experiment exists already (so `make demo` can be re-run).",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        from personalization_plugin.engine.training import train
        from personalization_plugin.reports import rollups
        from personalization_plugin.serving import clear_caches

        if opts["if_none"] and Experiment.objects.exists():
            self.stdout.write("An experiment exists already: nothing simulated.")
            rollups.refresh()
            return
        if not Event.objects.filter(type="view").exists():
            raise CommandError("No stored product views: run `manage.py seed_demo` first.")
        if not ModelVersion.objects.filter(is_active=True).exists():
            self.stdout.write("No active model: training one first.")
            train()
        clear_caches()
        now = timezone.now()
        Experiment.objects.filter(
            placement=opts["placement"], status__in=["running", "shipped"]
        ).update(status="stopped", ended_at=now)
        experiment = Experiment.objects.create(
            name=f"{opts['placement'].replace('_', ' ').capitalize()}: personalized vs popular",
            placement=opts["placement"],
            holdout_percent=opts["holdout"],
            status=Experiment.Status.RUNNING,
            started_at=now - timedelta(days=opts["days"], hours=1),
            note="Simulated traffic from personalization_demo_experiment.",
        )
        self._plan(experiment)
        counts = self._simulate(experiment, opts, now)
        rollups.refresh()  # the report pages read the roll-ups
        self.stdout.write(
            f"Experiment {experiment.pk} running on {experiment.placement}: "
            + ", ".join(f"{v} {k}" for k, v in counts.items())
            + f"; the result shows after {experiment.planned_visitors:,} visitors."
        )

    def _plan(self, experiment: Experiment) -> None:
        """The fixed horizon, as the Start button would set it: from the history before
        the start, else (a small demo store) from its conversion rate over all history."""
        from personalization_plugin.experiments.planning import plan

        planned = plan(experiment)
        if planned is None:
            people = Event.objects.values("visitor_id").distinct().count()
            buyers = Event.objects.filter(type="purchase").values("visitor_id").distinct().count()
            experiment.baseline_rate = min(0.9999, max(0.0001, buyers / people if people else 0.03))
            planned = plan(experiment)
        experiment.planned_visitors = planned
        experiment.save(update_fields=["baseline_rate", "planned_visitors"])

    def _simulate(self, experiment: Experiment, opts: dict[str, Any], now: Any) -> dict[str, int]:
        from personalization_plugin.adapters import get_adapter
        from personalization_plugin.serving import recommend
        from personalization_plugin.tracking.api import track, track_order
        from personalization_plugin.tracking.backends import get_backend

        rng = np.random.default_rng(opts["seed"])
        shoppers = list(
            Event.objects.filter(type="view")
            .values_list("visitor_id", "customer_id")
            .distinct()
            .order_by("visitor_id")
        )
        liked = self._liked_categories()
        adapter = get_adapter()
        counts = {"impressions": 0, "clicks": 0, "cart adds": 0, "order lines": 0}
        step = max(1, len(shoppers) // 10)
        for done, (visitor_id, customer_id) in enumerate(shoppers):
            if done % step == 0:  # a line every 10%: the simulation takes about a minute
                self.stdout.write(f"Simulating sessions: {done:,} of {len(shoppers):,} shoppers")
                self.stdout.flush()  # shown as it happens, also through a pipe
            visitor = Visitor(visitor_id=visitor_id, customer_id=customer_id, consent="granted")
            own = liked.get(customer_id or visitor_id, set())
            for _ in range(opts["sessions"]):
                at = now - timedelta(seconds=float(rng.uniform(60, opts["days"] * 86400)))
                who: dict[str, Any] = {"visitor_id": visitor_id, "customer_id": customer_id or None}
                recs = recommend(experiment.placement, visitor=visitor, limit=6)
                for item in recs:
                    track(
                        "impression",
                        **who,
                        occurred_at=at,
                        product_id=item.product.id,
                        placement=recs.placement,
                        position=item.position,
                        payload={"recommendation_id": recs.recommendation_id},
                    )
                    counts["impressions"] += 1
                    match = bool(own.intersection(item.product.category_ids))
                    if rng.random() >= (P_CLICK_MATCH if match else P_CLICK_OTHER):
                        continue
                    click_at = at + timedelta(seconds=30)
                    track(
                        "click",
                        **who,
                        occurred_at=click_at,
                        product_id=item.product.id,
                        placement=recs.placement,
                        position=item.position,
                    )
                    counts["clicks"] += 1
                    if rng.random() >= P_CART:
                        continue
                    price = (
                        item.product.price
                        or adapter.get_products([item.product.id])[item.product.id].price
                    )
                    track(
                        "cart_add",
                        **who,
                        occurred_at=click_at + timedelta(minutes=2),
                        product_id=item.product.id,
                        price=price,
                    )
                    counts["cart adds"] += 1
                    if rng.random() >= P_ORDER:
                        continue
                    track_order(
                        **who,
                        order_id=f"demo-{uuid.uuid4().hex[:10]}",
                        currency="EUR",
                        occurred_at=click_at + timedelta(minutes=10),
                        lines=[{"product_id": item.product.id, "quantity": 1, "price": price}],
                    )
                    counts["order lines"] += 1
        get_backend().flush()
        return counts

    def _liked_categories(self) -> dict[str, set[str]]:
        """Each shopper's two favourite categories, from the products they viewed or bought."""
        from collections import Counter

        from personalization_plugin.adapters import get_adapter

        rows = list(
            Event.objects.filter(type__in=("view", "purchase")).values_list(
                "customer_id", "visitor_id", "product_id"
            )
        )
        infos = get_adapter().get_products(list({p for _, _, p in rows}))
        seen: dict[str, Counter[str]] = {}
        for customer_id, visitor_id, product_id in rows:
            info = infos.get(product_id)
            if info is not None and info.category_ids:
                seen.setdefault(customer_id or visitor_id, Counter())[info.category_ids[0]] += 1
        return {who: {c for c, _ in counter.most_common(2)} for who, counter in seen.items()}
