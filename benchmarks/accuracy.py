"""Offline accuracy of the shipped default against baselines on every shared data set.

    .venv/bin/python benchmarks/accuracy.py [--data ../shared/data] [--json]

For each data set in the shared data folder: a time split (last 10% of events; the
yoochoose sample brings its own train/test split), the shipped default (built exactly as
training builds it, with the default PERSONALIZATION settings) and, fitted in the same
run on the same matrix: popularity, item-kNN (cosine), ALS with implicit's defaults and
EASE. "default (no EASE)" is the blend served when the catalog is too large for EASE.
Prints NDCG@10, HR@10, recall@10 and coverage, and the ratios of the default to the
best baseline and to EASE.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")


def datasets(root: Path):
    from personalization_plugin.engine.datasets import read_events_csv, read_item_categories
    from personalization_plugin.engine.evaluation import Split, time_split

    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        items = folder / "items.csv"
        categories = read_item_categories(items) if items.exists() else None
        if (folder / "train_full.csv").exists() and (folder / "test.csv").exists():
            split = Split(
                read_events_csv(folder / "train_full.csv"), read_events_csv(folder / "test.csv")
            )
            how = "own train/test split"
        elif (folder / "events.csv").exists():
            split = time_split(read_events_csv(folder / "events.csv"), 0.1)
            how = "last 10% of time"
        else:
            continue
        yield folder.name, how, split, categories


def main() -> None:
    import django

    django.setup()
    from personalization_plugin.core.conf import DEFAULTS
    from personalization_plugin.engine.builder import BuildParams
    from personalization_plugin.engine.evaluation import (
        build_cases,
        compare,
        evaluate_scorer,
        ranking_metrics,
        shipped_model,
    )

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    params = BuildParams.from_settings()  # the shipped defaults
    weights, half_life = DEFAULTS["EVENT_WEIGHTS"], DEFAULTS["HALF_LIFE_DAYS"]
    report = {}
    for name, how, split, categories in datasets(Path(args.data)):
        started = time.perf_counter()
        cases = build_cases(split, weights, half_life, recency_decay=params.recency_decay)
        results = compare(cases, params, item_categories=categories)
        no_ease = shipped_model(cases.data, replace(params, ease_max_items=0))
        results["default (no EASE)"] = ranking_metrics(
            evaluate_scorer(no_ease.score_batch, cases), cases.targets, 10
        )
        seconds = time.perf_counter() - started
        known = int((cases.users >= 0).sum())
        report[name] = {
            "protocol": how,
            "cases": len(cases),
            "known_subjects": known,
            "seconds": round(seconds, 1),
            "results": results,
        }
        if args.json:
            continue
        print(
            f"\n{name}: {how}; {len(cases)} test cases ({known} known subjects, {len(cases) - known} sessions / new visitors); {cases.data.n_items} items; {seconds:.0f} s"
        )
        print(f"  {'method':20s} {'NDCG@10':>8s} {'HR@10':>8s} {'recall@10':>10s} {'coverage':>9s}")
        for method, m in results.items():
            print(
                f"  {method:20s} {m['ndcg@10']:8.4f} {m['hit_rate@10']:8.4f} {m['recall@10']:10.4f} {m['coverage']:9.3f}"
            )
        default = results["default"]["ndcg@10"]
        baselines = {
            k: v["ndcg@10"]
            for k, v in results.items()
            if k in ("popularity", "item_knn", "als_defaults")
        }
        best = max(baselines, key=baselines.__getitem__)
        print(
            f"  default / best baseline ({best}): {default / baselines[best]:.3f}x NDCG@10 (target >= 1.10)"
        )
        no_ease = results["default (no EASE)"]["ndcg@10"]
        print(f"  default (no EASE) / best baseline: {no_ease / baselines[best]:.3f}x NDCG@10")
        if "ease" in results:
            print(
                f"  default / EASE: {default / results['ease']['ndcg@10']:.3f}x NDCG@10 (target >= 1.00)"
            )
    if args.json:
        print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
