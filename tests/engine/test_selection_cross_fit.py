"""The fitted blend is chosen on held-out evidence only: weights fitted on the cases
they are scored on beat the fixed recipe on noise alone, so `cross_fit` scores them on
cases they never saw and keeps the fixed recipe unless the gain is beyond the noise."""

from __future__ import annotations

import numpy as np

from personalization_plugin.engine.candidates import CandidateTable
from personalization_plugin.engine.selection import NOISE_STDERRS, cross_fit

CASES, WIDTH = 400, 50
SLOTS = {"core": "core", "neighbours": "neighbours", "popularity": "popularity"}
FIXED = {"core": 1.0, "neighbours": 0.5, "popularity": 0.25}


def table(seed: int, signal_in: str | None = None) -> CandidateTable:
    """Random per-case scores and 3 random targets per case among 50 candidates; with
    `signal_in`, that part scores the targets above every other candidate."""
    rng = np.random.default_rng(seed)
    names = list(SLOTS.values())
    scores = rng.uniform(0, 1, size=(len(names), CASES, WIDTH)).astype(np.float32)
    hits = np.zeros((CASES, WIDTH), dtype=bool)
    for c in range(CASES):
        hits[c, rng.choice(WIDTH, size=3, replace=False)] = True
    if signal_in is not None:
        p = names.index(signal_in)
        scores[p] = np.where(hits, 1.0, rng.uniform(0, 0.5, size=(CASES, WIDTH)))
    items = np.tile(np.arange(WIDTH), (CASES, 1))
    return CandidateTable(names, items, scores, hits, hits.sum(axis=1))


def test_a_blend_that_only_fits_noise_keeps_the_fixed_recipe():
    for seed in range(5):
        t = table(seed)
        decision = cross_fit(t, SLOTS, FIXED, FIXED, seed=seed)
        # the in-sample fit "beats" the fixed recipe: the bias this guards against
        assert decision.in_sample > decision.fixed
        assert not decision.chosen, (seed, decision)
        assert decision.because in {"no_gain", "gain_within_noise"}
        assert decision.gain <= NOISE_STDERRS * decision.stderr


def test_a_large_real_signal_in_a_component_chooses_the_fitted_blend():
    for seed in range(5):
        t = table(seed, signal_in="popularity")
        start = {"core": 1.0, "neighbours": 0.5, "popularity": 0.01}
        decision = cross_fit(t, SLOTS, start, start, seed=seed)
        assert decision.chosen, (seed, decision)
        assert decision.because == "held_out_gain"
        assert decision.gain > NOISE_STDERRS * decision.stderr > 0
        assert decision.held_out > decision.fixed + 0.1
        # the served weights lean on the component that carries the signal
        assert decision.weights["popularity"] > decision.weights["core"]


def test_the_decision_is_deterministic_for_a_seed_and_compares_on_every_case():
    t = table(0, signal_in="neighbours")
    a = cross_fit(t, SLOTS, FIXED, FIXED, seed=1)
    b = cross_fit(t, SLOTS, FIXED, FIXED, seed=1)
    assert a == b
    fixed_cases = t.ndcg(FIXED)
    assert abs(a.fixed - float(fixed_cases.mean())) < 1e-9
