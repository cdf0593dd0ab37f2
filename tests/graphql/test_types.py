"""The GraphQL enums mirror the plugin's own vocabularies, so the API never drifts."""

from __future__ import annotations

from personalization_plugin.core.events import STOREFRONT_EVENTS
from personalization_plugin.graphql.types import RecommendationPlacement, TrackEventType
from personalization_plugin.serving import PLACEMENTS


def test_every_serving_placement_is_a_graphql_placement() -> None:
    assert {p.value for p in RecommendationPlacement} == set(PLACEMENTS)


def test_graphql_tracks_exactly_what_a_browser_may_send() -> None:
    assert {t.value for t in TrackEventType} == {t.value for t in STOREFRONT_EVENTS}
