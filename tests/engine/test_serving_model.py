from __future__ import annotations

import pytest

from personalization_plugin.core.conf import DEFAULTS
from personalization_plugin.engine.base import ServingModel
from personalization_plugin.engine.builder import BuildParams, build_arrays
from personalization_plugin.engine.catalog import CatalogSnapshot
from personalization_plugin.engine.interactions import build_interactions
from personalization_plugin.engine.serving_model import ArtifactModel

from .conftest import CLUSTER_ITEMS, planted_log

ALL_ITEMS = CLUSTER_ITEMS["A"] + CLUSTER_ITEMS["B"]


def snapshot() -> CatalogSnapshot:
    snap = CatalogSnapshot()
    for k, pid in enumerate([*ALL_ITEMS, "A-new", "A-hidden"]):
        snap.categories[pid] = (f"cat-{pid[0]}",)
        snap.price[pid] = 10.0 + k % 8
        snap.created[pid] = 1000.0 + k
        snap.available[pid] = pid != "A-hidden"
    snap.price["A-new"] = 12.0
    snap.created["A-new"] = 9999.0
    return snap


@pytest.fixture(scope="module", params=["als", "item_knn"])
def model(request) -> ArtifactModel:
    snap = snapshot()
    data = build_interactions(
        planted_log(), DEFAULTS["EVENT_WEIGHTS"], None, extra_items=snap.product_ids
    )
    params = BuildParams(algorithm=request.param, factors=8, iterations=10, neighbours=20)
    arrays, _ = build_arrays(data, params, snap)
    return ArtifactModel(arrays, {"version": "t1", "params": params.to_dict()})


def clusters(scored) -> set[str]:
    return {pid[0] for pid, _ in scored}


def test_implements_the_serving_protocol(model):
    assert isinstance(model, ServingModel)


def test_the_shipped_default_is_a_blend_of_scoring_sources(model):
    """The collaborative core (or EASE), session, sequence and popularity are parts of one
    Blend, each weighted by the trained params."""
    parts = model.blend.describe()
    assert {"session", "sequence", "popularity"} <= set(parts)
    assert "ease" in parts or "core" in parts  # EASE takes the core's place when it fits
    assert parts["popularity"] == model.params["w_pop"]
    user = model.subject_pos[next(iter(model.subject_pos))]
    history = model.history[[user]]
    recent = history[:, :0].copy()  # no recent items
    recent.resize((1, model.n_items))
    assert (model.score_batch([user], history, recent) >= 0).all()
    assert model.version == "t1"


def test_known_subject_gets_their_cluster_and_not_what_they_already_have(model):
    recs = model.for_subject("v:a0", n=3)
    assert recs and clusters(recs) == {"A"}
    history = {
        pid for s, pid in zip(planted_log().subject, planted_log().item, strict=True) if s == "v:a0"
    }
    assert not history & {pid for pid, _ in recs}


def test_scores_are_sorted_best_first_and_n_is_respected(model):
    recs = model.for_subject("v:b1", n=2)
    assert len(recs) == 2
    assert recs[0][1] >= recs[1][1]


def test_unknown_subject_without_recent_items_gets_nothing(model):
    assert model.for_subject("v:stranger") == []
    assert not model.knows_subject("v:stranger")
    assert model.knows_subject("v:a0")


def test_unknown_subject_is_served_from_recent_items(model):
    recs = model.for_subject("v:stranger", recent_items=["B0", "B1"], n=3)
    assert recs and clusters(recs) == {"B"}
    assert not {"B0", "B1"} & {pid for pid, _ in recs}


def test_recent_items_change_a_known_subjects_recommendations(model):
    before = model.for_subject("v:a0", n=3)  # a0 has seen 5 of the 8 A items
    after = model.for_subject("v:a0", recent_items=["B0", "B1", "B2", "B3"], n=3)
    assert "B" not in clusters(before)
    assert "B" in clusters(after)


def test_exclude_is_honoured_everywhere(model):
    top = model.for_subject("v:a0", n=1)[0][0]
    assert top not in {p for p, _ in model.for_subject("v:a0", n=5, exclude={top})}
    first_similar = model.similar("A0", n=1)[0][0]
    assert first_similar not in {p for p, _ in model.similar("A0", n=5, exclude=[first_similar])}
    first_popular = model.popular(n=1)[0][0]
    assert first_popular not in {p for p, _ in model.popular(n=5, exclude=[first_popular])}
    assert "A-new" not in {p for p, _ in model.new_arrivals(n=5, exclude=["A-new"])}


def test_unknown_ids_give_empty_lists(model):
    assert model.similar("nope") == []
    assert model.bought_together(["nope"]) == []
    assert model.viewed_together(["nope"]) == []
    assert model.popular(category_id="no-such-category") == []
    assert model.categories_of("nope") == ()


def test_similar_items_stay_in_cluster(model):
    similar = model.similar("A0", n=4)
    assert len(similar) == 4 and clusters(similar) == {"A"}
    assert "A0" not in {p for p, _ in similar}


def test_product_without_history_falls_back_to_category_and_price(model):
    similar = model.similar("A-new", n=3)
    assert clusters(similar) == {"A"}
    prices = {pid: 10.0 + k % 8 for k, pid in enumerate(ALL_ITEMS)}
    assert abs(prices[similar[0][0]] - 12.0) <= abs(prices[similar[-1][0]] - 12.0)


def most_bought(prefix: str) -> str:
    log = planted_log()
    bought = [
        pid
        for pid, t in zip(log.item.tolist(), log.type.tolist(), strict=True)
        if t == "purchase" and pid.startswith(prefix)
    ]
    return max(set(bought), key=bought.count)


def test_bought_together_for_a_product_and_for_a_cart(model):
    one = model.bought_together([most_bought("A")], n=3)
    cart = model.bought_together(["B0", "B1"], n=3)
    assert one and clusters(one) == {"A"}
    assert cart and clusters(cart) == {"B"}
    assert not {"B0", "B1"} & {p for p, _ in cart}


def test_viewed_together_stays_in_cluster(model):
    viewed = model.viewed_together(["B2"], n=3)
    assert viewed and clusters(viewed) == {"B"}


def test_popular_within_a_category(model):
    assert clusters(model.popular(n=5, category_id="cat-B")) == {"B"}


def test_new_arrivals_are_newest_first_and_skip_unavailable_products(model):
    arrivals = [p for p, _ in model.new_arrivals(n=3)]
    assert arrivals[0] == "A-new"
    assert "A-hidden" not in {p for p, _ in model.new_arrivals(n=50)}


def test_categories_of_a_product(model):
    assert model.categories_of("B3") == ("cat-B",)


def test_batch_recommendations_match_single_calls(model):
    batch = model.for_subjects(["v:a0", "v:b2", "v:stranger"], n=3)
    assert set(batch) == {"v:a0", "v:b2"}
    for subject in ("v:a0", "v:b2"):
        assert [p for p, _ in batch[subject]] == [p for p, _ in model.for_subject(subject, n=3)]


def test_batch_recommendations_fold_in_each_subjects_recent_items_like_single_calls(model):
    recent = {"v:a0": ["B1", "A7", "B1"], "v:b2": ["B3"], "v:a1": []}
    batch = model.for_subjects(["v:a0", "v:b2", "v:a1"], n=5, recent=recent)
    for subject, items in recent.items():
        single = model.for_subject(subject, recent_items=items, n=5)
        assert [p for p, _ in batch[subject]] == [p for p, _ in single]
    assert "B1" not in [p for p, _ in batch["v:a0"]]  # recent items count as seen


def test_repurchasable_categories_may_be_recommended_again(model, personalization):
    history = {
        pid for s, pid in zip(planted_log().subject, planted_log().item, strict=True) if s == "v:a0"
    }
    assert not history & {p for p, _ in model.for_subject("v:a0", n=8)}
    personalization(REPURCHASABLE_CATEGORIES=["cat-A"])
    again = {p for p, _ in model.for_subject("v:a0", n=8)}
    assert history & again
