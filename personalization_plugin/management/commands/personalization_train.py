"""`manage.py personalization_train [--algorithm als|bpr|item_knn|bm25|ease]`."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from personalization_plugin.engine.algorithms import ALGORITHMS


class Command(BaseCommand):
    help = "Train a recommendation model on the stored events and make it the active one."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--algorithm",
            choices=sorted(set(ALGORITHMS) - {"popularity"}),
            help='Collaborative core to fit (default: PERSONALIZATION["ALGORITHM"]).',
        )
        parser.add_argument(
            "--full",
            action="store_true",
            help="Fit from scratch instead of warm starting from the active ALS/BPR model.",
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")
        parser.add_argument(
            "--no-holdout",
            action="store_true",
            help="Skip the holdout metrics (halves training time on large stores).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from personalization_plugin.core.exceptions import NotEnoughData
        from personalization_plugin.engine.training import train

        try:
            mv = train(
                algorithm=options["algorithm"],
                progress=not options["no_progress"] and sys.stderr.isatty(),  # bars: terminals only
                holdout=not options["no_holdout"],
                full=options["full"],
            )
        except NotEnoughData as exc:
            raise CommandError(str(exc)) from None
        metrics = ", ".join(f"{k} {v:.4f}" for k, v in mv.metrics.items() if isinstance(v, float))
        self.stdout.write(
            self.style.SUCCESS(
                f"Model {mv.version} ({mv.algorithm}) is active: {mv.n_users} shoppers, "
                f"{mv.n_items} products, {mv.n_interactions} interactions, "
                f"trained in {mv.training_seconds:.1f} s"
                + (
                    f" (warm start from {mv.params['warm_start_from']})."
                    if mv.params.get("warm_start")
                    else "."
                )
            )
        )
        from personalization_plugin.serving.cache import precompute_after_training

        written = precompute_after_training()
        if written:
            self.stdout.write(f"Cached {written} personal lists for recently active shoppers.")
        self.stdout.write(
            f"Holdout (last 10% of time): {metrics}"
            if metrics
            else "Too few events for a holdout evaluation yet."
        )
