"""Per-store selection: candidates compared on a validation split of the training part."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from personalization_plugin.core.conf import DEFAULTS
from personalization_plugin.engine.algorithms.neighbours import RP3beta
from personalization_plugin.engine.builder import BuildParams, build_arrays
from personalization_plugin.engine.candidates import build_table
from personalization_plugin.engine.evaluation import (
    evaluate_scorer,
    ranking_metrics,
    time_split,
)
from personalization_plugin.engine.interactions import EventLog, build_interactions
from personalization_plugin.engine.selection import select, validation_cases
from personalization_plugin.engine.serving_model import ArtifactModel
from personalization_plugin.engine.training import train

from .conftest import NOW, planted_log, planted_rows, store_events

WEIGHTS = DEFAULTS["EVENT_WEIGHTS"]


def wide_rows(n_users: int = 80, seed: int = 3) -> list[dict]:
    """Two clusters of 12 items; each user views and buys within theirs, at random
    times over 30 days, so every stretch of time has returning shoppers."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        cluster = "A" if u % 2 else "B"
        for k, item in enumerate(rng.choice(12, size=8, replace=False)):
            rows.append(
                {
                    "type": "purchase" if k % 3 == 0 else "view",
                    "visitor_id": f"{cluster}{u}",
                    "product_id": f"{cluster}{item}",
                    "session_id": f"s{u}-{k // 4}",
                    "occurred_at": NOW - timedelta(seconds=float(rng.uniform(0, 30 * 86400))),
                }
            )
    return rows


def wide_log() -> EventLog:
    rows = sorted(wide_rows(), key=lambda r: r["occurred_at"])
    return EventLog.from_columns(
        subject=[f"v:{r['visitor_id']}" for r in rows],
        item=[r["product_id"] for r in rows],
        type=[r["type"] for r in rows],
        timestamp=[r["occurred_at"].timestamp() for r in rows],
        session=[r["session_id"] for r in rows],
    )


def test_validation_is_carved_from_the_training_part_only():
    log = wide_log()
    split = time_split(log, 0.1)
    cases = validation_cases(split.train, BuildParams(), WEIGHTS, None)
    assert cases is not None
    newest_train = split.train.timestamp.max()
    assert cases.data.log.timestamp.max() < newest_train  # validation test part held back
    assert cases.data.log.timestamp.max() < split.test.timestamp.min()


def test_selection_reports_every_candidate_family_and_a_choice():
    split = time_split(wide_log(), 0.1)
    chosen = select(split.train, BuildParams(), WEIGHTS, None, budget_seconds=600)
    names = " ".join(c["name"] for c in chosen.report["candidates"])
    for family in ("als", "bpr", "cosine", "bm25", "rp3beta", "ease", "popularity"):
        assert family in names
    assert chosen.report["chosen"] in ("fitted blend", "fixed recipe")
    assert chosen.report["fixed_recipe"] <= max(
        chosen.report["fitted_blend"], chosen.report["fixed_recipe"]
    )
    assert isinstance(chosen.params, BuildParams)


def test_a_spent_budget_skips_the_remaining_candidates():
    split = time_split(wide_log(), 0.1)
    chosen = select(split.train, BuildParams(), WEIGHTS, None, budget_seconds=1e-9)
    assert chosen.report["skipped_for_budget"]
    assert any("bpr" in s for s in chosen.report["skipped_for_budget"])


def test_candidate_table_ranks_like_the_served_blend():
    """On a tiny catalog the union of every part's top items is the whole catalog, so
    the table's NDCG of the fixed weights equals the full evaluation's."""
    split = time_split(wide_log(), 0.1)
    cases = validation_cases(split.train, BuildParams(), WEIGHTS, None)
    params = BuildParams(ease_max_items=0)
    model = ArtifactModel(
        build_arrays(cases.data, params)[0], {"version": "t", "params": params.to_dict()}
    )
    parts = {source.name: source for _, source in model.blend.parts}
    table = build_table(cases, parts, depth=100)
    weights = {source.name: w for w, source in model.blend.parts}
    full = ranking_metrics(evaluate_scorer(model.score_batch, cases), cases.targets, 10)
    assert table.ndcg(weights).mean() == pytest.approx(full["ndcg@10"], abs=1e-6)


def test_rp3beta_keeps_neighbours_in_their_cluster():
    data = build_interactions(planted_log(), WEIGHTS)
    model = RP3beta(k=5).fit(data.matrix)
    items = list(data.item_ids)
    for i, item in enumerate(items):
        row = model.similarity[i]
        assert all(items[j][0] == item[0] for j in row.indices)
        assert i not in row.indices


def test_rp3beta_damps_popular_targets():
    """beta > 0 divides by popularity: a bestseller scores lower as a target than with beta 0."""
    data = build_interactions(planted_log(), WEIGHTS)
    plain = RP3beta(k=15, beta=0.0).fit(data.matrix).similarity.toarray()
    damped = RP3beta(k=15, beta=1.0).fit(data.matrix).similarity.toarray()
    popularity = np.asarray((data.matrix > 0).sum(axis=0)).ravel()
    assert np.allclose(damped, plain / popularity[None, :], atol=1e-6)


@pytest.mark.django_db
def test_training_with_search_records_the_comparison_and_serves_the_winner():
    store_events(wide_rows())
    mv = train(search=True)
    selection = mv.metrics["selection"]
    assert selection["candidates"] and selection["chosen"]
    assert mv.is_active and "ndcg@10" in mv.metrics


@pytest.mark.django_db
def test_no_search_keeps_the_fixed_recipe():
    store_events(planted_rows(n_users=20))
    mv = train(search=False)
    assert "selection" not in mv.metrics
    assert mv.params["w_core"] == BuildParams().w_core


def test_evaluate_reports_the_selection_spread_over_seeds_and_every_candidate(tmp_path):
    from io import StringIO

    from django.core.management import call_command

    path = tmp_path / "events.csv"
    rows = sorted(wide_rows(), key=lambda r: r["occurred_at"])
    lines = ["timestamp,user,item,event,quantity,price,session"]
    lines += [
        f"{int(r['occurred_at'].timestamp())},{r['visitor_id']},{r['product_id']},"
        f"{r['type']},1,,{r['session_id']}"
        for r in rows
    ]
    path.write_text("\n".join(lines) + "\n")
    out = StringIO()
    call_command("personalization_evaluate", "--events", str(path), "--seeds", "2", stdout=out)
    text = out.getvalue()
    assert "Selected recipe over 2 validation cut(s)" in text
    assert any(v in text for v in ("inside the noise", "better", "worse"))
    assert "Every candidate alone on the same test cases" in text
    assert "rp3beta" in text and "\nselected " in text
