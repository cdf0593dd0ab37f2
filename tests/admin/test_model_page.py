"""The admin's model page: the comparison, the gate's decision, numbers for people."""

from __future__ import annotations

import pytest

from personalization_plugin.admin.model_report import significant
from personalization_plugin.models import ModelVersion

pytestmark = pytest.mark.django_db

SELECTION = {
    "metric": "ndcg@10",
    "cases": 1500,
    "fixed_recipe": 0.21034,
    "fitted_blend": 0.23456,
    "chosen": "fitted blend",
    "blend": {
        "core": {"part": "core: rp3beta a1.0 b0.5", "weight": 1.0},
        "popularity": {"part": "popularity", "weight": 0.25},
    },
    "candidates": [
        {"name": "core: rp3beta a1.0 b0.5", "ndcg@10": 0.22001, "fit_seconds": 1.234},
        {"name": "core: als f64 r0.05 a1", "ndcg@10": 0.19, "fit_seconds": 6.5},
        {"name": "popularity", "ndcg@10": 0.1, "fit_seconds": None},
    ],
    "skipped_for_budget": ["core: bpr f64"],
    "seconds": 12.345,
}


def version(name: str, active: bool, metrics: dict) -> ModelVersion:
    return ModelVersion.objects.create(
        version=name,
        algorithm="rp3beta",
        path="/nowhere",
        is_active=active,
        training_seconds=547.0,
        n_users=12345,
        n_items=547,
        n_interactions=1000000,
        metrics=metrics,
    )


def test_numbers_have_three_significant_digits_and_counts_are_integers(admin_client_):
    version(
        "v-1",
        True,
        {"ndcg@10": 0.43951234, "ndcg@10_stderr": 0.01234, "cases": 547, "selection": SELECTION},
    )
    html = admin_client_.get("/admin/personalization/models/").content.decode()
    assert "0.440 ± 0.012" in html
    assert "547.0000" not in html and "0.4395" not in html
    assert "12,345 shoppers, 547 products, 1,000,000 interactions" in html
    assert "How high the products shoppers went on to choose" in html  # a definition


def test_the_selection_comparison_is_shown(admin_client_):
    version("v-1", True, {"ndcg@10": 0.3, "selection": SELECTION})
    html = admin_client_.get("/admin/personalization/models/").content.decode()
    assert "How this model was chosen" in html
    assert "Random-walk similar items (RP3beta)" in html and "0.220" in html
    assert "0.235 on validation against 0.210 for the fixed recipe" in html
    assert "1 candidate was skipped" in html


def test_a_refused_model_is_shown_with_the_reason(admin_client_):
    version("v-old", True, {"ndcg@10": 0.3})
    gate = {
        "activate": False,
        "reason": "worse",
        "metric": "ndcg@10",
        "new": 0.2,
        "active": 0.3,
        "active_version": "v-old",
        "tolerance": 0.05,
    }
    version("v-new", False, {"ndcg@10": 0.2, "gate": gate})
    html = admin_client_.get("/admin/personalization/models/").content.decode()
    assert "Newest model kept inactive" in html
    assert "v-new scored 0.200 on its holdout; the active model v-old scored 0.300" in html
    assert "refused" in html


@pytest.mark.parametrize(
    ("value", "text"), [(0.43951, "0.440"), (12.345, "12.3"), (0.0012345, "0.00123"), (0, "0")]
)
def test_significant_digits(value, text):
    assert significant(value) == text


def test_a_fixed_recipe_kept_because_the_held_out_gain_is_noise_says_so(admin_client_):
    held = {"folds": 2, "gain": 0.00412, "stderr": 0.0031, "needed": 0.0062}
    selection = {
        **SELECTION,
        "fitted_blend": 0.21446,
        "chosen": "fixed recipe",
        "chosen_because": "gain_within_noise",
        "held_out": held,
    }
    version("v-1", True, {"ndcg@10": 0.3, "selection": selection})
    html = admin_client_.get("/admin/personalization/models/").content.decode()
    assert "Chosen: the fixed recipe (0.210 on validation)" in html
    assert "scored 0.214 on validation shoppers it was not fitted on" in html
    assert "a gain of 0.00412, not more than twice its standard error (0.00310)" in html


def test_a_fitted_blend_chosen_on_held_out_gain_shows_the_gain(admin_client_):
    held = {"folds": 2, "gain": 0.0242, "stderr": 0.005, "needed": 0.01}
    selection = {**SELECTION, "chosen_because": "held_out_gain", "held_out": held}
    version("v-1", True, {"ndcg@10": 0.3, "selection": selection})
    html = admin_client_.get("/admin/personalization/models/").content.decode()
    assert "0.235 on validation shoppers it was not fitted on, against 0.210" in html
    assert "a gain of 0.0242, more than twice its standard error (0.00500)" in html
