"""recommend() serves each arm: baseline gets the non-personalized list, treatment the model's."""

from __future__ import annotations

import pytest

from personalization_plugin.serving import recommend
from personalization_plugin.tracking.identity import Visitor
from tests.serving.conftest import (  # noqa: F401  (fixtures)
    catalog,
    model,
    scored,
    serving_store,
)

from .factories import running_experiment, visitors_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def arms(catalog, model):  # noqa: F811
    catalog.fill(12)
    model.popular_items = scored(12, 11, 10, 9)
    experiment = running_experiment(holdout_percent=50)
    control = visitors_in(experiment, "control", 1, "shopper-")[0]
    treatment = visitors_in(experiment, "treatment", 1, "shopper-")[0]
    for vid in (control, treatment):
        model.personal[f"v:{vid}"] = scored(1, 2, 3, 4)
    return Visitor(visitor_id=control), Visitor(visitor_id=treatment)


def test_baseline_arm_gets_the_popular_list_under_the_placement_name(arms):
    control, _ = arms
    recs = recommend("for_you", visitor=control, limit=4)
    assert recs.placement == "for_you"
    assert recs.product_ids == ["12", "11", "10", "9"]
    assert {item.reason_code for item in recs} <= {"popular", "trending"}


def test_treatment_arm_gets_the_personal_list(arms):
    _, treatment = arms
    recs = recommend("for_you", visitor=treatment, limit=4)
    assert recs.product_ids[0] == "1"
    assert recs.items[0].reason_code == "viewed"


def test_baseline_never_shows_the_page_product(catalog, model):  # noqa: F811
    catalog.fill(12)
    model.popular_items = scored(5, 12, 11, 10, 9)
    experiment = running_experiment(placement="similar", holdout_percent=50)
    control = Visitor(visitor_id=visitors_in(experiment, "control", 1)[0])
    recs = recommend("similar", visitor=control, product_id="5", limit=3)
    assert "5" not in recs.product_ids
    assert recs.placement == "similar"
