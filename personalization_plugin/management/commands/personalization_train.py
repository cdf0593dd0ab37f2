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
        parser.add_argument(
            "--no-search",
            action="store_true",
            help="Keep the fixed recipe: no per-store model selection (much faster).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Activate the new model even if its holdout metric is worse than the active one's.",
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
                search=False if options["no_search"] else None,
                force=options["force"],
            )
        except NotEnoughData as exc:
            raise CommandError(str(exc)) from None
        from personalization_plugin.engine.gate import GateDecision

        decision = GateDecision(**mv.metrics["gate"])
        summary = (
            f"Model {mv.version} ({mv.algorithm}): {mv.n_users} shoppers, "
            f"{mv.n_items} products, {mv.n_interactions} interactions, "
            f"trained in {mv.training_seconds:.1f} s"
            + (
                f" (warm start from {mv.params['warm_start_from']})"
                if mv.params.get("warm_start")
                else ""
            )
            + f"; {decision.describe()}."
        )
        style = self.style.SUCCESS if decision.activate else self.style.WARNING
        self.stdout.write(style(summary))
        selection = mv.metrics.get("selection")
        if selection:
            self.stdout.write(
                f"Chosen on validation: {selection['chosen']} "
                f"({len(selection['candidates'])} candidates in {selection['seconds']:.1f} s)."
            )
        if decision.activate:
            from personalization_plugin.serving.cache import precompute_after_training

            written = precompute_after_training()
            if written:
                self.stdout.write(f"Cached {written} personal lists for recently active shoppers.")
        metrics = ", ".join(
            f"{k} {v:.4f}"
            for k, v in mv.metrics.items()
            if isinstance(v, float) and not k.endswith("_stderr")
        )
        self.stdout.write(
            f"Holdout (last 10% of time, {mv.metrics.get('cases', 0)} cases): {metrics}"
            if metrics
            else "Too few events for a holdout evaluation yet."
        )
