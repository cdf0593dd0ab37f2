"""GraphQL `personalizedOrder`: a headless storefront's own list in the shopper's order,
through the real client against the live test server."""

from __future__ import annotations

from typing import Any

import pytest
from gql import GraphQLRequest, gql

from personalization_plugin.engine import registry
from tests.serving.conftest import HandModel, scored

from .conftest import raw_post

ORDER = gql(
    """query($ids: [ID!]!, $context: String) {
         personalizedOrder(ids: $ids, context: $context) {
           ids excluded personalized modelVersion
           moved { productId before after reasonCode reason } } }"""
)
VIEW = gql(
    """mutation($p: ID!, $t: String) { trackEvent(input: {type: VIEW, productId: $p, token: $t}) {
         recorded errors { message } } }"""
)


@pytest.fixture
def hand_model(monkeypatch: pytest.MonkeyPatch) -> HandModel:
    """The active model, as the live server's thread sees it."""
    hand = HandModel()
    monkeypatch.setattr(registry, "get_active_model", lambda: hand)
    return hand


def order(client: Any, ids: list[str], context: str | None = None) -> dict[str, Any]:
    values = {"ids": ids, "context": context}
    return client.execute(GraphQLRequest(ORDER, variable_values=values))["personalizedOrder"]


def test_a_new_visitor_gets_the_ids_in_the_order_given(
    gql_client: Any, catalog: list, hand_model: HandModel
) -> None:
    ids = [str(p.pk) for p in catalog]
    answer = order(gql_client, ids, "category:cookware")
    assert answer["ids"] == ids
    assert answer["moved"] == [] and answer["personalized"] is False


def test_what_the_shopper_viewed_steers_the_order(
    gql_client: Any, catalog: list, hand_model: HandModel
) -> None:
    viewed, companion = str(catalog[0].pk), str(catalog[5].pk)
    hand_model.viewed_with[viewed] = scored(companion)
    token = gql_client.execute(gql("{ intakeToken }"))["intakeToken"]
    view = GraphQLRequest(VIEW, variable_values={"p": viewed, "t": token})
    tracked = gql_client.execute(view)["trackEvent"]
    assert tracked["recorded"] is True
    listing = [str(p.pk) for p in catalog[1:]]  # the viewed product is not on this page
    answer = order(gql_client, listing, "search")
    assert answer["ids"][0] == companion
    assert answer["personalized"] is True and answer["modelVersion"] == hand_model.version
    moved = {m["productId"]: m for m in answer["moved"]}
    assert moved[companion]["reasonCode"] == "viewed_with"
    assert moved[companion]["reason"] == f"Often viewed with {catalog[0].title}"
    assert (moved[companion]["before"], moved[companion]["after"]) == (5, 1)


def test_too_many_or_repeated_ids_are_a_clear_error(endpoint: str, catalog: list) -> None:
    query = "query($ids: [ID!]!) { personalizedOrder(ids: $ids) { ids } }"
    body = raw_post(endpoint, query, ids=[str(n) for n in range(1001)]).json()
    assert "at most 1000 candidates" in body["errors"][0]["message"]
    body = raw_post(endpoint, query, ids=["1", "1"]).json()
    assert "listed twice" in body["errors"][0]["message"]
