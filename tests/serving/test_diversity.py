"""Diversity: category share cap, MMR re-ranking and the discovery slot."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from personalization_plugin import track
from personalization_plugin.serving import diversity, recommend

from .conftest import product, scored


def test_rerank_without_diversity_keeps_relevance_order():
    relevance = np.array([0.9, 0.8, 0.7])
    categories = np.array([0, 0, 0])
    assert diversity.rerank(relevance, categories, 3) == [0, 1, 2]


def test_mmr_prefers_a_different_category_over_a_slightly_better_same_one():
    relevance = np.array([1.0, 0.95, 0.9])
    categories = np.array([0, 0, 1])
    assert diversity.rerank(relevance, categories, 3, mmr_lambda=0.7) == [0, 2, 1]


def test_mmr_uses_item_factor_cosine_when_given():
    relevance = np.array([1.0, 0.95, 0.9])
    categories = np.array([0, 1, 2])  # all different: only the factors tell 0 and 1 apart
    vectors = np.array([[1.0, 0.0], [1.0, 0.01], [0.0, 1.0]])
    assert diversity.rerank(relevance, categories, 3, mmr_lambda=0.7, vectors=vectors) == [0, 2, 1]


def test_category_cap_limits_one_category():
    relevance = np.linspace(1, 0.1, 10)
    categories = np.array([0] * 8 + [1, 2])
    chosen = diversity.rerank(relevance, categories, 4, max_share=0.5)
    assert Counter(categories[chosen].tolist())[0] == 2


def test_category_cap_is_relaxed_rather_than_returning_a_short_list():
    relevance = np.linspace(1, 0.1, 6)
    categories = np.zeros(6, dtype=int)
    assert len(diversity.rerank(relevance, categories, 4, max_share=0.25)) == 4


def test_discovery_positions():
    assert diversity.discovery_positions(8, 4) == [3, 7]
    assert diversity.discovery_positions(8, 0) == []


@pytest.mark.django_db
def test_for_you_respects_the_category_share(catalog, model, alice, personalization):
    personalization(MAX_CATEGORY_SHARE=0.25, MMR_LAMBDA=1.0)
    catalog.fill(40, ["chairs", "chairs", "chairs", "tables", "lamps", "rugs"])
    model.personal = {alice.subject: scored(*range(1, 41))}
    result = recommend("for_you", visitor=alice, limit=8)
    counts = Counter(item.product.category_ids[0] for item in result.items)
    assert max(counts.values()) <= 2
    assert len(result.items) == 8


@pytest.mark.django_db
def test_category_pages_are_not_capped(catalog, model, personalization):
    personalization(MAX_CATEGORY_SHARE=0.25)
    catalog.fill(20)
    result = recommend("category_top", category_id="chairs", limit=8)
    assert len(result.items) == 8


@pytest.mark.django_db
def test_discovery_slot_brings_something_from_outside_usual_categories(
    catalog, model, alice, personalization
):
    personalization(DISCOVERY_EVERY=4, MAX_CATEGORY_SHARE=1.0, MMR_LAMBDA=1.0)
    catalog.fill(20, ["chairs"])
    catalog.add(product("lamp", "lamps"), product("rug", "rugs"))
    catalog.name_category("lamps", "Lamps")
    model.personal = {alice.subject: scored(*range(1, 21))}
    model.popular_items = scored("lamp", "rug")
    track("view", visitor=alice, product_id="1")
    result = recommend("for_you", visitor=alice, limit=8)
    discovered = [
        (item.position, item.product.id) for item in result.items if item.reason_code == "discovery"
    ]
    assert discovered == [(4, "lamp"), (8, "rug")]
    assert result.items[3].reason == "Something different: Lamps"
    assert len(result.items) == 8


@pytest.mark.django_db
def test_no_discovery_slot_when_switched_off(catalog, model, alice, personalization):
    personalization(DISCOVERY_EVERY=0)
    catalog.fill(20, ["chairs"])
    catalog.add(product("lamp", "lamps"))
    model.popular_items = scored("lamp")
    track("view", visitor=alice, product_id="1")
    result = recommend("for_you", visitor=alice, limit=8)
    assert all(item.reason_code != "discovery" for item in result.items)
