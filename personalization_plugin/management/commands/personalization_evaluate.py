"""`manage.py personalization_evaluate`: offline accuracy of the shipped model vs baselines.

manage.py personalization_evaluate                       # the store's own events
manage.py personalization_evaluate --events log.csv --format generic [--test test.csv]
manage.py personalization_evaluate --events log.csv --tune --output best.json
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Evaluate recommendations on a time split: shipped default vs popularity, item-kNN, ALS and EASE."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--events", help="CSV file of events (default: the store's stored events)."
        )
        parser.add_argument(
            "--test", help="A separate CSV of test events (then --events is all training)."
        )
        parser.add_argument("--format", default="generic", choices=["generic"], help="CSV format.")
        parser.add_argument(
            "--items",
            help="items.csv (item,category,...) for category diversity; found next to --events by default.",
        )
        parser.add_argument(
            "--test-fraction",
            type=float,
            default=0.1,
            help="Share of the newest events held out (default 0.1).",
        )
        parser.add_argument(
            "-k", type=int, default=10, help="List length for the metrics (default 10)."
        )
        parser.add_argument(
            "--algorithm",
            help='Collaborative core of the shipped model (default PERSONALIZATION["ALGORITHM"]).',
        )
        parser.add_argument("--json", action="store_true", help="Print the results as JSON.")
        parser.add_argument(
            "--tune",
            action="store_true",
            help="Grid-search settings on a validation split of the training part.",
        )
        parser.add_argument(
            "--output", help="With --tune: write the best settings to this JSON file."
        )
        parser.add_argument(
            "--seeds",
            type=int,
            default=1,
            help="Repeat the per-store selection with N different validation cuts and "
            "print the spread of the selected recipe's figure (default 1).",
        )
        parser.add_argument(
            "--no-search",
            action="store_true",
            help="Compare only the fixed recipe and the baselines (no per-store selection).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from personalization_plugin.core.conf import plugin_settings
        from personalization_plugin.core.exceptions import DatasetFormatError
        from personalization_plugin.engine.builder import BuildParams
        from personalization_plugin.engine.evaluation import build_cases, compare

        try:
            split, categories = self._split(options)
        except (DatasetFormatError, OSError) as exc:
            raise CommandError(str(exc)) from None
        params = BuildParams.from_settings(options["algorithm"])
        weights, half_life = plugin_settings.EVENT_WEIGHTS, plugin_settings.HALF_LIFE_DAYS
        if options["tune"]:
            self._tune(split, params, weights, half_life, options)
            return
        cases = build_cases(split, weights, half_life, recency_decay=params.recency_decay)
        if len(cases) == 0:
            raise CommandError(
                "The test part has no usable cases (no test subject with an item seen in training)."
            )
        if options["seeds"] < 1:
            raise CommandError("--seeds must be at least 1.")
        results = compare(cases, params, k=options["k"], item_categories=categories)
        selection = None
        if not options["no_search"]:
            selection = self._selection(split, params, weights, half_life, options["seeds"])
            results["selected"] = selection.pop("metrics")
        if options["json"]:
            payload = {"cases": len(cases), "results": results, "selection": selection}
            self.stdout.write(json.dumps(payload, indent=2, default=str))
            return
        self.stdout.write(format_table(results, options["k"]))
        if selection is not None:
            self.stdout.write(format_selection(selection, results))

    def _selection(self, split, params, weights, half_life, seeds: int) -> dict[str, Any]:
        """The selected recipe per validation seed on the test cases, and every
        candidate alone on the same cases."""
        from personalization_plugin.core.conf import plugin_settings
        from personalization_plugin.engine.evaluation import holdout
        from personalization_plugin.engine.selection import compare_on_test, select, spread

        budget = float(plugin_settings.MODEL_SEARCH_SECONDS)
        per_seed: list[float] = []
        chosen: list[str] = []
        metrics: dict[str, Any] = {}
        for seed in range(seeds):
            picked = select(
                split.train, params, weights, half_life, budget_seconds=budget, seed=seed
            )
            measured = holdout(split, picked.params, weights, half_life, max_cases=0).metrics
            per_seed.append(float(measured.get("ndcg@10", 0.0)))
            # why: the cross-fitted gain over the fixed recipe, against twice its stderr
            held = picked.report.get("held_out") or {}
            chosen.append(
                f"{picked.report.get('chosen', '')} ({picked.report.get('chosen_because', '')}:"
                f" gain {held.get('gain', 0.0):+.4f}, 2 stderr {held.get('needed', 0.0):.4f})"
                if held
                else str(picked.report.get("chosen", ""))
            )
            metrics = metrics or measured
        return {
            "metrics": metrics,
            "per_seed": per_seed,
            "spread": spread(per_seed),
            "chosen": chosen,
            "candidates": compare_on_test(split, params, weights, half_life, budget_seconds=budget),
        }

    def _split(self, options: dict[str, Any]):
        from personalization_plugin.engine.datasets import read_events_csv, read_item_categories
        from personalization_plugin.engine.evaluation import Split, time_split
        from personalization_plugin.engine.interactions import load_events

        categories = None
        if options["events"]:
            log = read_events_csv(options["events"], options["format"])
            items = options["items"] or Path(options["events"]).with_name("items.csv")
            if Path(items).exists():
                categories = read_item_categories(items)
        else:
            log = load_events()
        split: Split | None
        if options["test"]:
            split = Split(log, read_events_csv(options["test"], options["format"]))
        else:
            split = time_split(log, options["test_fraction"])
        if split is None:
            raise CommandError("Not enough events to split by time; track more events first.")
        return split, categories

    def _tune(self, split, params, weights, half_life, options: dict[str, Any]) -> None:
        from personalization_plugin.engine.tuning import tune

        self.stdout.write("Tuning on a validation split carved from the training part:")
        try:
            best = tune(split, params, weights, half_life, report=self.stdout.write)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if options["output"]:
            Path(options["output"]).write_text(json.dumps(best, indent=2))
            self.stdout.write(f"Wrote {options['output']}")
        snippet = ",\n".join(f"    {k!r}: {v!r}" for k, v in best["settings"].items())
        self.stdout.write(
            f"Best {best['metric']} {best['score']:.4f}. Use in settings.py:\n\nPERSONALIZATION = {{\n    **PERSONALIZATION,\n{snippet},\n}}\n"
        )


def format_selection(selection: dict[str, Any], results: dict[str, dict[str, Any]]) -> str:
    """The selection's spread over seeds, whether it beats the fixed recipe beyond the
    noise, and every candidate alone on the test cases."""
    spread = selection["spread"]
    fixed = results["default"]
    diff = spread["mean"] - float(fixed.get("ndcg@10", 0.0))
    noise = 2 * max(spread["std"], float(fixed.get("ndcg@10_stderr", 0.0)))
    seeds = len(selection["per_seed"])
    verdict = "inside the noise" if abs(diff) <= noise else ("better" if diff > 0 else "worse")
    lines = [
        "",
        f"Selected recipe over {seeds} validation cut(s): ndcg@10 {spread['mean']:.4f}"
        f" +- {spread['std']:.4f} (chosen: {', '.join(selection['chosen'])})",
        f'Against the fixed recipe ("default", {fixed.get("ndcg@10", 0.0):.4f} +- '
        f"{fixed.get('ndcg@10_stderr', 0.0):.4f} over cases): {diff:+.4f}, {verdict} "
        f"(noise: twice the larger spread, {noise:.4f}).",
        "Every candidate alone on the same test cases (ndcg@10, top-50 candidate union):",
    ]
    for name, value in sorted(selection["candidates"].items(), key=lambda kv: -kv[1]):
        lines.append(f"  {name:36s} {value:.4f}")
    return "\n".join(lines)


def format_table(results: dict[str, dict[str, Any]], k: int) -> str:
    cols = [
        f"ndcg@{k}",
        f"hit_rate@{k}",
        f"recall@{k}",
        f"precision@{k}",
        f"map@{k}",
        "coverage",
        "diversity",
    ]
    lines = [f"{'method':14s} " + " ".join(f"{c:>12s}" for c in cols)]
    for name, m in results.items():
        cells = [f"{m[c]:12.4f}" if isinstance(m.get(c), float) else f"{'-':>12s}" for c in cols]
        lines.append(f"{name:14s} " + " ".join(cells))
    return "\n".join(lines)
