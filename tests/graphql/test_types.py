"""The GraphQL enums mirror the plugin's own vocabularies, so the API never drifts."""

from __future__ import annotations

from personalization_plugin.core.events import STOREFRONT_EVENTS
from personalization_plugin.core.placements import Placement
from personalization_plugin.graphql.schema import schema
from personalization_plugin.graphql.types import RecommendationPlacement, TrackEventType
from personalization_plugin.serving import PLACEMENTS


def test_every_serving_placement_is_a_graphql_placement() -> None:
    assert {p.value for p in RecommendationPlacement} == set(PLACEMENTS)


def test_graphql_tracks_exactly_what_a_browser_may_send() -> None:
    assert {t.value for t in TrackEventType} == {t.value for t in STOREFRONT_EVENTS}


def test_each_graphql_placement_is_documented_by_its_placement() -> None:
    enum_type = schema.graphql_schema.get_type("RecommendationPlacement")
    documented = {name: value.description for name, value in enum_type.values.items()}
    assert documented == {p.name: p.description for p in Placement}
    assert enum_type.description.startswith("Where a list is shown")
