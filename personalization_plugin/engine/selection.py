"""Per-store model selection at training time: every store gets the recipe that ranks
best on its own recent behaviour, not one fixed on somebody else's data.

The training part is split by time once more: its last 10% (the *validation* part;
the final holdout is never touched) scores a small, bounded set of candidates fitted
on the rest:

- collaborative cores: ALS (implicit) on a small grid, BPR, item-kNN cosine and BM25,
  RP3beta;
- EASE with its lambda chosen on validation (only under `ease_max_items`, where its
  dense items x items inverse pays);
- the evidence every recipe can blend in: item neighbours, session co-views, "viewed
  next" sequences, bought together, popularity and trending.

Each candidate is scored alone; the best core (and the best EASE) then go into a
blend whose weights are fitted by coordinate ascent on a `CandidateTable`. The blend
is cross-fitted (fitted on half the cases, scored on the other half, and swapped), and
the fixed recipe stays unless the paired held-out gain is larger than two standard
errors (`cross_fit`): an in-sample fit beats it on noise alone.
Fitting stops taking new candidates once `budget_seconds` are spent (cheap ones come
first), and every figure, including what was skipped, goes into the report that
training stores in the model version's metrics.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from personalization_plugin.engine.algorithms import make
from personalization_plugin.engine.algorithms.neighbours import EASE
from personalization_plugin.engine.blend import AlgorithmSource, ItemItemSource, ScoreSource
from personalization_plugin.engine.builder import BuildParams, build_arrays
from personalization_plugin.engine.candidates import CandidateTable, build_table
from personalization_plugin.engine.evaluation import (
    Cases,
    Split,
    build_cases,
    sample_cases,
    time_split,
)
from personalization_plugin.engine.interactions import EventLog, Interactions
from personalization_plugin.engine.serving_model import ArtifactModel

logger = logging.getLogger(__name__)
METRIC = "ndcg@10"
MAX_CASES = 2000
MIN_CASES = 20
# validation share of the training part per seed: seed 0 is the one training uses,
# the others move the cut so `personalization_evaluate --seeds` can show the spread
VALIDATION_FRACTIONS = (0.10, 0.15, 0.075, 0.125, 0.20)
WEIGHT_STEPS = (0.0, 0.25, 0.5, 2.0, 4.0)
FRESH_WEIGHTS = (0.05, 0.25, 1.0)
# blend slots of a served model (see `ArtifactModel._blend`)
SLOTS = (
    "core",
    "ease",
    "neighbours",
    "session",
    "sequence",
    "bought_together",
    "popularity",
    "trending",
)


@dataclass
class Selection:
    """The chosen recipe and the report stored with the model (`metrics["selection"]`)."""

    params: BuildParams
    report: dict[str, Any]


@dataclass
class _Core:
    label: str
    params: dict[str, Any]  # BuildParams fields that make this core


def core_candidates(base: BuildParams) -> list[_Core]:
    """The collaborative cores tried, cheapest first (the budget cuts from the end)."""
    return [
        _Core("item_knn cosine", {"algorithm": "item_knn"}),
        _Core("item_knn bm25", {"algorithm": "bm25"}),
        _Core("rp3beta a1.0 b0.5", {"algorithm": "rp3beta", "rp3_alpha": 1.0, "rp3_beta": 0.5}),
        _Core("rp3beta a0.8 b0.3", {"algorithm": "rp3beta", "rp3_alpha": 0.8, "rp3_beta": 0.3}),
        _Core(
            f"als f{base.factors} r{base.regularization:g} a{base.alpha:g}",
            {"algorithm": "als"},
        ),
        _Core(
            "als f64 r0.1 a5",
            {"algorithm": "als", "factors": 64, "regularization": 0.1, "alpha": 5.0},
        ),
        _Core(
            "als f128 r0.05 a1",
            {"algorithm": "als", "factors": 128, "regularization": 0.05, "alpha": 1.0},
        ),
        _Core(
            "als f32 r0.01 a10",
            {"algorithm": "als", "factors": 32, "regularization": 0.01, "alpha": 10.0},
        ),
        _Core("bpr f64", {"algorithm": "bpr", "factors": 64}),
    ]


def base_core(base: BuildParams) -> _Core:
    """The core of the fixed recipe, labelled like its twin in `core_candidates`."""
    if base.algorithm == "als":
        return _Core(
            f"als f{base.factors} r{base.regularization:g} a{base.alpha:g}", {"algorithm": "als"}
        )
    labels = {"item_knn": "item_knn cosine", "bm25": "item_knn bm25", "bpr": f"bpr f{base.factors}"}
    return _Core(labels.get(base.algorithm, base.algorithm), {"algorithm": base.algorithm})


def ease_lambdas(base: BuildParams) -> list[float]:
    return [base.ease_l2, base.ease_l2 / 4, base.ease_l2 * 4]


def validation_cases(
    train_log: EventLog,
    base: BuildParams,
    weights: Mapping[str, float],
    half_life: float | None,
    *,
    exclude_items: Collection[str] = (),
    seed: int = 0,
    max_cases: int = MAX_CASES,
) -> Cases | None:
    """The validation cases of the training part for this seed (None: too few)."""
    split = time_split(train_log, VALIDATION_FRACTIONS[seed % len(VALIDATION_FRACTIONS)])
    if split is None:
        return None
    cases = build_cases(
        split, weights, half_life, exclude_items=exclude_items, recency_decay=base.recency_decay
    )
    if len(cases) < MIN_CASES:
        return None
    return sample_cases(cases, max_cases, seed)


@dataclass
class Fitted:
    """Every candidate part fitted on one training matrix, keyed by its report name."""

    parts: dict[str, ScoreSource]
    cores: dict[str, _Core]
    eases: dict[str, float]
    fit_seconds: dict[str, float]
    skipped: list[str]
    fixed: dict[str, float]  # the fixed recipe's weights over `parts`
    fixed_core: _Core


def fit_candidates(
    data: Interactions,
    base: BuildParams,
    budget_seconds: float,
    started: float,
    report: Callable[[str], None] = lambda line: None,
) -> Fitted:
    """The fixed recipe's parts plus every candidate core and EASE lambda, cheapest
    first, until `budget_seconds` since `started` are spent."""
    fitted = ArtifactModel(
        build_arrays(data, base)[0], {"version": "validation", "params": base.to_dict()}
    )
    parts: dict[str, ScoreSource] = {}
    for _, source in fitted.blend.parts:
        parts[source.name] = source
    fixed_core = base_core(base)
    parts[f"core: {fixed_core.label}"] = parts.pop("core")
    fit_seconds: dict[str, float] = {}
    skipped: list[str] = []
    use_ease = 0 < data.n_items <= base.ease_max_items
    cores: dict[str, _Core] = {f"core: {fixed_core.label}": fixed_core}
    eases: dict[str, float] = {}
    if use_ease:
        parts[f"ease l{base.ease_l2:g}"] = parts.pop("ease")
        eases[f"ease l{base.ease_l2:g}"] = base.ease_l2
        for l2 in ease_lambdas(base)[1:]:
            name = f"ease l{l2:g}"
            if time.perf_counter() - started > budget_seconds:
                skipped.append(name)
                continue
            clock = time.perf_counter()
            ease = EASE(l2=l2, k=base.ease_k).fit(data.matrix)
            parts[name] = ItemItemSource(name, ease.similarity)
            eases[name] = l2
            fit_seconds[name] = round(time.perf_counter() - clock, 2)
    for core in core_candidates(base):
        name = f"core: {core.label}"
        if name in parts:
            continue
        if time.perf_counter() - started > budget_seconds:
            skipped.append(name)
            continue
        clock = time.perf_counter()
        p = replace(base, **core.params)
        model = make(p.algorithm, **p.core_params())
        model.fit(data.matrix)
        parts[name] = AlgorithmSource(model, name=name)
        cores[name] = core
        fit_seconds[name] = round(time.perf_counter() - clock, 2)
        report(f"  fitted {name} in {fit_seconds[name]:.1f} s")
    fixed = _fixed_weights(
        fitted,
        base_core_name=f"core: {fixed_core.label}",
        ease_name=f"ease l{base.ease_l2:g}" if use_ease else "",
    )
    return Fitted(parts, cores, eases, fit_seconds, skipped, fixed, fixed_core)


def compare_on_test(
    split: Split,
    base: BuildParams,
    weights: Mapping[str, float],
    half_life: float | None,
    *,
    budget_seconds: float = 40.0,
    exclude_items: Collection[str] = (),
) -> dict[str, float]:
    """Every candidate alone, and the fixed recipe, on the *test* cases of `split`
    (fitted on its training part): what `personalization_evaluate` prints next to the
    selected recipe, so a candidate's validation figure can be checked on new data."""
    cases = build_cases(
        split, weights, half_life, exclude_items=exclude_items, recency_decay=base.recency_decay
    )
    fitted = fit_candidates(cases.data, base, budget_seconds, time.perf_counter())
    table = build_table(cases, fitted.parts)
    out = {
        name: float(table.ndcg({name: 1.0}).mean())
        for p, name in enumerate(table.names)
        if table.scores[p].any()
    }
    out["fixed recipe (candidate table)"] = float(table.ndcg(fitted.fixed).mean())
    return out


def select(
    train_log: EventLog,
    base: BuildParams,
    weights: Mapping[str, float],
    half_life: float | None,
    *,
    exclude_items: Collection[str] = (),
    budget_seconds: float = 40.0,
    seed: int = 0,
    report: Callable[[str], None] = lambda line: None,
) -> Selection:
    """The best recipe for this store on validation, with the whole comparison."""
    started = time.perf_counter()
    cases = validation_cases(
        train_log, base, weights, half_life, exclude_items=exclude_items, seed=seed
    )
    if cases is None:
        too_few = {"chosen": "fixed recipe", "skipped_because": "too_few_cases"}
        return Selection(
            base, {**too_few, "candidates": [], "skipped_for_budget": [], "seconds": 0.0}
        )
    fitted = fit_candidates(cases.data, base, budget_seconds, started, report)
    parts, cores, eases = fitted.parts, fitted.cores, fitted.eases
    fit_seconds, skipped, fixed_core = fitted.fit_seconds, fitted.skipped, fitted.fixed_core
    table = build_table(cases, parts)
    # a part with nothing to say on these cases (session evidence when every case is a
    # known shopper) scores all zeros: its "alone" figure would be the table's padding order
    silent = {n for p, n in enumerate(table.names) if not table.scores[p].any()}
    alone = {n: float(table.ndcg({n: 1.0}).mean()) for n in table.names if n not in silent}
    fixed = fitted.fixed
    fixed_score = float(table.ndcg(fixed).mean())
    best_core = max(cores, key=lambda n: alone.get(n, -1.0))
    best_ease = max(eases, key=lambda n: alone.get(n, -1.0)) if eases else ""
    slots = {
        "core": best_core,
        "ease": best_ease,
        **{s: s for s in SLOTS[2:] if s in parts and s not in silent},
    }
    slots = {k: v for k, v in slots.items() if v}
    start = {slot: fixed.get(name, 0.0) for slot, name in slots.items()}
    start["core"] = fixed.get(f"core: {fixed_core.label}", 0.0)
    if not any(start.values()):
        start["core"] = 1.0
    decision = cross_fit(table, slots, start, fixed, seed=seed)
    chosen_blend = decision.chosen
    weights_fit, in_sample = decision.weights, decision.in_sample
    params = (
        _to_params(base, cores[best_core], eases.get(best_ease), weights_fit)
        if chosen_blend
        else base
    )
    candidates = [
        {"name": name, METRIC: round(alone[name], 5), "fit_seconds": fit_seconds.get(name)}
        for name in sorted(alone, key=alone.__getitem__, reverse=True)
    ]
    result = {
        "metric": METRIC,
        "validation": f"last {VALIDATION_FRACTIONS[seed % len(VALIDATION_FRACTIONS)]:.1%} of the training part",
        "cases": len(cases),
        "fixed_recipe": round(fixed_score, 5),
        "fitted_blend": round(decision.held_out, 5),
        "fitted_blend_in_sample": round(in_sample, 5),
        "chosen": "fitted blend" if chosen_blend else "fixed recipe",
        "chosen_because": decision.because,
        "held_out": {
            "folds": CROSS_FIT_FOLDS,
            "gain": round(decision.gain, 5),
            "stderr": round(decision.stderr, 5),
            "needed": round(NOISE_STDERRS * decision.stderr, 5),
        },
        "blend": {
            slot: {"part": slots[slot], "weight": round(w, 4)} for slot, w in weights_fit.items()
        },
        "candidates": candidates,
        "silent": sorted(silent),
        "skipped_for_budget": skipped,
        "budget_seconds": budget_seconds,
        "seconds": round(time.perf_counter() - started, 2),
    }
    return Selection(params, result)


CROSS_FIT_FOLDS = 2
# the held-out gain must exceed this many standard errors of the paired per-case gain
NOISE_STDERRS = 2.0


@dataclass
class Decision:
    """Fitted blend or fixed recipe, decided on cases the blend was not fitted on.

    Weights fitted by coordinate ascent on the very cases they are then scored on beat
    the fixed recipe almost always (they fit that sample's noise), so the blend is
    fitted on all folds but one and scored on the one left out; the per-case gains
    over the fixed recipe are paired, and the blend is kept only when their mean is
    larger than `NOISE_STDERRS` standard errors."""

    chosen: bool
    because: str  # "held_out_gain" | "gain_within_noise" | "no_gain"
    held_out: float  # mean held-out NDCG of the cross-fitted blend
    fixed: float  # mean NDCG of the fixed recipe on the same cases
    gain: float
    stderr: float
    weights: dict[str, float]  # fitted on all cases (what is served if chosen)
    in_sample: float


def subset(table: CandidateTable, rows: np.ndarray) -> CandidateTable:
    """The candidate table restricted to these cases."""
    return CandidateTable(
        table.names,
        table.items[rows],
        table.scores[:, rows],
        table.hits[rows],
        table.n_targets[rows],
    )


def cross_fit(
    table: CandidateTable,
    slots: Mapping[str, str],
    start: Mapping[str, float],
    fixed: Mapping[str, float],
    *,
    seed: int = 0,
    folds: int = CROSS_FIT_FOLDS,
) -> Decision:
    """Fit the blend on all folds but one, score it on the one left out (every case is
    scored once, by weights that never saw it), and keep the fixed recipe unless the
    paired held-out gain is beyond the noise."""
    n = table.hits.shape[0]
    fixed_cases = table.ndcg(fixed)
    order = np.random.default_rng(seed).permutation(n)
    held = np.zeros(n, dtype=np.float64)
    for fold in range(folds):
        test_rows = np.sort(order[fold::folds])
        train_rows = np.setdiff1d(np.arange(n), test_rows)
        w, _ = _coordinate_ascent(subset(table, train_rows), slots, start)
        held[test_rows] = subset(table, test_rows).ndcg({slots[s]: v for s, v in w.items()})
    gains = held - fixed_cases
    gain = float(gains.mean())
    stderr = float(gains.std(ddof=1) / np.sqrt(n)) if n > 1 else 0.0
    if gain <= 0:
        because = "no_gain"
    elif gain > NOISE_STDERRS * stderr:
        because = "held_out_gain"
    else:
        because = "gain_within_noise"
    weights, in_sample = _coordinate_ascent(table, slots, start)
    return Decision(
        chosen=because == "held_out_gain",
        because=because,
        held_out=float(held.mean()),
        fixed=float(fixed_cases.mean()),
        gain=gain,
        stderr=stderr,
        weights=weights,
        in_sample=in_sample,
    )


def _fixed_weights(
    model: ArtifactModel, *, base_core_name: str, ease_name: str
) -> dict[str, float]:
    """The fixed recipe's weights, keyed by the table's part names."""
    out: dict[str, float] = {}
    for weight, source in model.blend.parts:
        name = source.name
        if name == "core":
            name = base_core_name
        elif name == "ease":
            name = ease_name
        if weight:
            out[name] = float(weight)
    return out


def _coordinate_ascent(
    table: CandidateTable, slots: Mapping[str, str], start: Mapping[str, float], rounds: int = 2
) -> tuple[dict[str, float], float]:
    """Slot weights that maximise mean validation NDCG, one slot at a time."""
    weights = {slot: float(start.get(slot, 0.0)) for slot in slots}

    def score(w: Mapping[str, float]) -> float:
        return float(table.ndcg({slots[s]: v for s, v in w.items()}).mean())

    best = score(weights)
    for _ in range(rounds):
        improved = False
        for slot in slots:
            current = weights[slot]
            trials = [current * step for step in WEIGHT_STEPS] if current else list(FRESH_WEIGHTS)
            for value in trials:
                if value == current:
                    continue
                trial = {**weights, slot: value}
                if sum(trial.values()) <= 0:
                    continue
                s = score(trial)
                if s > best + 1e-9:
                    best, weights, improved = s, trial, True
                    current = value
        if not improved:
            break
    return weights, best


def _to_params(
    base: BuildParams, core: _Core, ease_l2: float | None, w: Mapping[str, float]
) -> BuildParams:
    """The fitted blend as `BuildParams` (what build_arrays and the served blend read)."""
    with_ease = ease_l2 is not None and w.get("ease", 0.0) > 0
    values: dict[str, Any] = {
        **core.params,
        "w_core": w.get("core", 0.0),
        "w_core_with_ease": w.get("core", 0.0),
        "w_ease": w.get("ease", 0.0),
        "w_neighbours": w.get("neighbours", 0.0),
        "w_neighbours_with_ease": w.get("neighbours", 0.0),
        "w_session": w.get("session", 0.0),
        "w_sequence": w.get("sequence", 0.0),
        "w_bought": w.get("bought_together", 0.0),
        "w_pop": w.get("popularity", 0.0),
        "w_trending": w.get("trending", 0.0),
    }
    if with_ease:
        values["ease_l2"] = float(ease_l2)  # type: ignore[arg-type]
    else:
        values["ease_max_items"] = 0  # no EASE: do not pay for fitting it
    return replace(base, **values)


def spread(values: list[float]) -> dict[str, float]:
    """Mean and standard deviation of repeated measurements."""
    a = np.asarray(values, dtype=np.float64)
    return {"mean": float(a.mean()), "std": float(a.std(ddof=1)) if a.size > 1 else 0.0}
