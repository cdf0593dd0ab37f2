"""`manage.py personalization_scores [--evaluate] [--horizon 21]`: churn risk and purchase
propensity models, evaluated on a time split (AUC against a one-feature baseline)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Train the churn-risk and purchase-propensity scores; --evaluate only reports AUC."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--evaluate",
            action="store_true",
            help="Evaluate on a time split without storing models.",
        )
        parser.add_argument(
            "--horizon", type=int, default=21, help="Days ahead a label looks (default 21)."
        )
        parser.add_argument("--json", action="store_true", help="Print the results as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        from personalization_plugin.scores.training import train

        if options["horizon"] < 1:
            raise CommandError("--horizon must be at least 1 day.")
        results = train(options["horizon"], save=not options["evaluate"])
        if options["json"]:
            self.stdout.write(json.dumps(results, indent=2))
            return
        self.stdout.write(
            f"Time split, horizon {options['horizon']} days (AUC on the later window)"
        )
        self.stdout.write(
            f"  {'score':<22}{'AUC':>8}{'baseline':>10}{'train':>8}{'test':>8}{'pos. rate':>11}"
        )
        for kind, row in results.items():
            if "error" in row:
                self.stdout.write(f"  {kind:<22} not trained: {row['error']}")
                continue
            self.stdout.write(
                f"  {kind:<22}{_num(row['auc']):>8}{_num(row['baseline_auc']):>10}"
                f"{row['train_size']:>8}{row['test_size']:>8}{row['test_positive_rate']:>11.3f}"
            )
        if not options["evaluate"]:
            self.stdout.write(self.style.SUCCESS("Stored the trained scores."))


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"
