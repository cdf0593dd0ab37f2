"""Buy-again offline: does timing by reorder interval find what shoppers re-buy?

    .venv/bin/python benchmarks/buy_again.py [--data ../shared/data] [--seeds 5] [--json]

An evaluation where repeat purchases count (the main accuracy benchmark excludes seen
items, so it cannot see them). For each log and event type:

- a time split: the last `--test-share` of time is the test window, `now` is the cut;
- a case is a shopper with events before the cut who, in the test window, comes back to
  at least one item they had before the cut; the targets are those items, the candidates
  every item they had before the cut (buy-again shows nothing else);
- on the same cases, in one run: "reorder" (the shipped `engine.reorder.rank_due`:
  own / category / catalog interval, products not yet due hidden, so a hidden target is
  a miss), "reorder, no hiding" (the same order with hidden products appended, to show
  what hiding costs), "most recent first" and "most frequent first" (trips; ties: most
  recent). Catalog intervals come from the training part only. No categories in these
  logs, so the category step is not exercised here (it is in the tests).

NDCG@10 and HR@10 are means over cases, +- the standard deviation over `--seeds`
bootstrap resamples of the cases (the spread from which shoppers happen to be in the
test). "purchase" rows use the shipped one-hour trip gap. Logs with few repeat
purchases get a second, clearly labelled proxy line: repeat *views* in distinct sessions
(one session = one trip), which tests the timing logic on real return behaviour but not
purchase intervals.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from personalization_plugin.engine.reorder import (  # noqa: E402
    MIN_GAP_SECONDS,
    CatalogIntervals,
    gaps,
    rank_due,
)

K = 10
Row = tuple[str, str, float, str]  # user, item, unix seconds, session


def read_rows(folder: Path, event: str) -> Iterator[Row]:
    files = [folder / "events.csv"] if (folder / "events.csv").exists() else []
    files += [folder / n for n in ("train_full.csv", "test.csv") if (folder / n).exists()]
    for path in files:
        with path.open(newline="") as fh:
            for r in csv.DictReader(fh):
                if r["event"] == event:
                    yield r["user"], r["item"], float(r["timestamp"]), r.get("session") or ""


def synthetic_rows(event: str) -> Iterator[Row]:
    """The accuracy benchmark's never-tuned-on store simulation."""
    from benchmarks.accuracy import synthetic_store

    log = synthetic_store()
    for s, i, t, ts, ses in zip(
        log.subject, log.item, log.type, log.timestamp, log.session, strict=True
    ):
        if t == event:
            yield str(s), str(i), float(ts), str(ses)


def one_per_session(rows: list[Row]) -> list[Row]:
    """A shopper's repeated events on an item inside one session are one trip."""
    seen: set[tuple[str, str, str]] = set()
    out = []
    for user, item, at, session in sorted(rows, key=lambda r: r[2]):
        key = (user, item, session)
        if key not in seen:
            seen.add(key)
            out.append((user, item, at, session))
    return out


def ndcg(ranked: list[str], targets: set[str]) -> float:
    dcg = sum(1.0 / math.log2(i + 2) for i, item in enumerate(ranked[:K]) if item in targets)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(K, len(targets))))
    return dcg / ideal


def evaluate(rows: list[Row], test_share: float, min_gap: float, seeds: int) -> dict:
    import numpy as np

    stamps = np.array([r[2] for r in rows])
    cut = float(np.quantile(stamps, 1.0 - test_share))
    train = [r for r in rows if r[2] < cut]
    test = [r for r in rows if r[2] >= cut]
    own: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for user, item, at, _ in train:
        own[user][item].append(at)
    later: dict[str, set[str]] = defaultdict(set)
    for user, item, _, _ in test:
        if item in own.get(user, {}):
            later[user].add(item)
    catalog = CatalogIntervals.from_purchases(((u, i, t) for u, i, t, _ in train), min_gap)
    rankers = {
        "reorder": lambda h: [d.item for d in rank_due(h, cut, catalog, min_gap=min_gap)],
        "reorder, no hiding": lambda h: _no_hiding(h, cut, catalog, min_gap),
        "most recent first": lambda h: sorted(h, key=lambda i: (-max(h[i]), i)),
        "most frequent first": lambda h: sorted(
            h, key=lambda i: (-len(gaps(h[i], min_gap)), -max(h[i]), i)
        ),
    }
    users = sorted(later)
    scores = {name: np.zeros(len(users)) for name in rankers}
    hits = {name: np.zeros(len(users)) for name in rankers}
    for n, user in enumerate(users):
        history = own[user]
        for name, rank in rankers.items():
            ranked = rank(history)
            scores[name][n] = ndcg(ranked, later[user])
            hits[name][n] = float(bool(later[user].intersection(ranked[:K])))
    rng = np.random.default_rng(0)
    boots = [rng.integers(0, len(users), len(users)) for _ in range(seeds)] if users else []
    out: dict = {
        "rows": len(rows),
        "shoppers_before_cut": len(own),
        "cases": len(users),
        "repeat_gaps_in_training": _n_gaps(own, min_gap),
        "methods": {},
    }
    for name in rankers:
        s, h = scores[name], hits[name]
        out["methods"][name] = {
            "ndcg@10": float(s.mean()) if users else 0.0,
            "ndcg_sd": float(np.std([s[b].mean() for b in boots])) if boots else 0.0,
            "hr@10": float(h.mean()) if users else 0.0,
        }
    return out


def _n_gaps(own: dict[str, dict[str, list[float]]], min_gap: float) -> int:
    return sum(len(gaps(t, min_gap)) for items in own.values() for t in items.values())


def _no_hiding(history, now, catalog, min_gap) -> list[str]:
    shown = [d.item for d in rank_due(history, now, catalog, min_gap=min_gap)]
    hidden = [
        d.item
        for d in rank_due(history, now, catalog, min_due=0.0, min_gap=min_gap)
        if d.item not in set(shown)
    ]
    return shown + hidden


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--test-share", type=float, default=0.2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    started, cpu = time.perf_counter(), time.process_time()
    logs: list[tuple[str, str, list[Row], float]] = []
    for folder in sorted(p for p in Path(args.data).iterdir() if p.is_dir()):
        purchases = list(read_rows(folder, "purchase"))
        if purchases:
            logs.append((folder.name, "purchase", purchases, MIN_GAP_SECONDS))
        views = list(read_rows(folder, "view"))
        if views and any(r[3] for r in views):
            logs.append((folder.name, "view (proxy)", one_per_session(views), 1.0))
    logs.append(
        ("synthetic-holdout", "purchase", list(synthetic_rows("purchase")), MIN_GAP_SECONDS)
    )
    results = []
    for name, event, rows, min_gap in logs:
        if len(rows) < 10:
            continue
        found = evaluate(rows, args.test_share, min_gap, args.seeds)
        results.append({"data": name, "event": event, **found})
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"buy-again, time split (last {args.test_share:.0%} of time), NDCG@10 / HR@10 over")
    print(f"shoppers who come back to an item they had; +- sd over {args.seeds} bootstrap seeds")
    for r in results:
        print(
            f"\n{r['data']} [{r['event']}]: {r['rows']:,} rows, {r['shoppers_before_cut']:,} "
            f"shoppers before the cut, {r['repeat_gaps_in_training']:,} repeat gaps in "
            f"training, {r['cases']:,} cases"
        )
        base = max(
            r["methods"]["most recent first"]["ndcg@10"],
            r["methods"]["most frequent first"]["ndcg@10"],
        )
        for method, m in r["methods"].items():
            ratio = f"{m['ndcg@10'] / base:5.2f}x best simple" if base > 0 else ""
            print(
                f"  {method:22s} NDCG@10 {m['ndcg@10']:.4f} +- {m['ndcg_sd']:.4f}"
                f"  HR@10 {m['hr@10']:.4f}  {ratio}"
            )
    print(f"\nwall {time.perf_counter() - started:.1f} s, CPU {time.process_time() - cpu:.1f} s")


if __name__ == "__main__":
    main()
