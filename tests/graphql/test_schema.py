"""The GraphQL API through a real client (gql over HTTP against the live test server)."""

from __future__ import annotations

from typing import Any

import pytest
from gql import GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError

from personalization_plugin.models import Event
from personalization_plugin.tracking.backends import get_backend

from .conftest import raw_post

RECOMMENDATIONS = gql(
    """
    query Recs($placement: RecommendationPlacement!, $productId: ID, $first: Int) {
      recommendations(placement: $placement, productId: $productId, first: $first) {
        placement modelVersion recommendationId
        items {
          productId score reason reasonCode position
          product { id title url price currency imageUrl inStock }
        }
      }
    }
    """
)


def test_recommendations_returns_display_ready_items(gql_client: Any, catalog: list) -> None:
    result = gql_client.execute(
        GraphQLRequest(RECOMMENDATIONS, variable_values={"placement": "TRENDING", "first": 3})
    )
    recs = result["recommendations"]
    assert recs["placement"] == "trending"
    assert len(recs["recommendationId"]) == 32
    assert [i["position"] for i in recs["items"]] == [1, 2, 3]
    item = recs["items"][0]
    product = next(p for p in catalog if str(p.pk) == item["productId"])
    assert item["product"] == {
        "id": str(product.pk),
        "title": product.title,
        "url": product.get_absolute_url(),
        "price": str(product.price),
        "currency": "EUR",
        "imageUrl": product.image_url,
        "inStock": True,
    }
    assert item["reason"] and item["reasonCode"]


def test_similar_needs_a_known_product(gql_client: Any, catalog: list) -> None:
    with pytest.raises(TransportQueryError) as info:
        gql_client.execute(
            GraphQLRequest(
                RECOMMENDATIONS, variable_values={"placement": "SIMILAR", "productId": "999999"}
            )
        )
    assert "999999" in str(info.value)


def test_first_above_the_cap_is_a_clear_error(gql_client: Any, catalog: list) -> None:
    with pytest.raises(TransportQueryError, match="first may be at most 50, got 51"):
        gql_client.execute(
            GraphQLRequest(RECOMMENDATIONS, variable_values={"placement": "FOR_YOU", "first": 51})
        )


def test_first_of_zero_is_a_clear_error(gql_client: Any, catalog: list) -> None:
    with pytest.raises(TransportQueryError, match="first must be at least 1"):
        gql_client.execute(
            GraphQLRequest(RECOMMENDATIONS, variable_values={"placement": "FOR_YOU", "first": 0})
        )


def test_product_type_mixin_adds_similar_and_bought_together(
    gql_client: Any, catalog: list
) -> None:
    query = gql(
        """query($id: ID!) { product(id: $id) { title
             similar(first: 2) { placement items { productId } }
             boughtTogether(first: 2) { placement items { productId } } } }"""
    )
    product = catalog[0]
    result = gql_client.execute(GraphQLRequest(query, variable_values={"id": str(product.pk)}))[
        "product"
    ]
    assert result["similar"]["placement"] == "similar"
    assert len(result["similar"]["items"]) == 2
    assert str(product.pk) not in [i["productId"] for i in result["similar"]["items"]]
    assert result["boughtTogether"]["placement"] == "bought_together"


def intake_token(gql_client: Any) -> str:
    """The visitor's intake token, as a headless storefront gets it (this also issues the
    visitor cookie on a first request)."""
    return gql_client.execute(gql("{ intakeToken }"))["intakeToken"]


def test_track_event_records_a_click_with_attribution(gql_client: Any, catalog: list) -> None:
    mutation = gql(
        """mutation($input: TrackEventInput!) { trackEvent(input: $input) {
             recorded eventId errors { field message code } } }"""
    )
    payload = {
        "type": "CLICK",
        "productId": str(catalog[2].pk),
        "placement": "for_you",
        "modelVersion": "v1",
        "recommendationId": "a" * 32,
        "position": 3,
        "token": intake_token(gql_client),
    }
    result = gql_client.execute(GraphQLRequest(mutation, variable_values={"input": payload}))[
        "trackEvent"
    ]
    assert result["errors"] == [] and result["recorded"] is True
    get_backend().flush()
    event = Event.objects.get(event_id=result["eventId"])
    assert (event.type, event.product_id, event.placement, event.position) == (
        "click",
        str(catalog[2].pk),
        "for_you",
        3,
    )
    assert event.payload["recommendation_id"] == "a" * 32


def test_track_event_reports_bad_input_in_errors_not_a_500(gql_client: Any, catalog: list) -> None:
    mutation = gql(
        """mutation($t: String) { trackEvent(input: {type: VIEW, token: $t}) {
             recorded errors { field message code } } }"""
    )
    token = intake_token(gql_client)
    result = gql_client.execute(GraphQLRequest(mutation, variable_values={"t": token}))[
        "trackEvent"
    ]
    assert result["recorded"] is False
    (error,) = result["errors"]
    assert error["code"] == "INVALID"
    assert "product_id" in error["message"]
    assert error["field"] == "productId"


def test_track_event_without_consent_is_not_recorded(
    gql_client: Any, catalog: list, personalization: Any
) -> None:
    personalization(CONSENT_MODE="required")
    mutation = gql(
        "mutation($p: ID) { trackEvent(input: {type: VIEW, productId: $p}) { recorded errors { code } } }"
    )
    result = gql_client.execute(
        GraphQLRequest(mutation, variable_values={"p": str(catalog[0].pk)})
    )["trackEvent"]
    assert result == {"recorded": False, "errors": [{"code": "NOT_ALLOWED"}]}
    get_backend().flush()
    assert not Event.objects.exists()


def test_set_consent_sets_the_cookie_and_unlocks_tracking(
    gql_client: Any, catalog: list, personalization: Any
) -> None:
    personalization(CONSENT_MODE="required")
    result = gql_client.execute(
        gql("mutation { setConsent(granted: true) { consent errors { message } } }")
    )
    assert result["setConsent"] == {"consent": "granted", "errors": []}
    assert gql_client.transport.session.cookies.get("sp_consent") == "granted"
    view = gql(
        "mutation($p: ID, $t: String) { trackEvent(input: {type: VIEW, productId: $p, token: $t})"
        " { recorded } }"
    )
    variables = {"p": str(catalog[0].pk), "t": intake_token(gql_client)}
    tracked = gql_client.execute(GraphQLRequest(view, variable_values=variables))
    assert tracked["trackEvent"]["recorded"] is True


def test_my_data_shows_only_the_requesting_shoppers_data(
    gql_client: Any, endpoint: str, catalog: list
) -> None:
    view = gql(
        "mutation($p: ID, $t: String) { trackEvent(input: {type: VIEW, productId: $p, token: $t})"
        " { recorded } }"
    )
    token = intake_token(gql_client)  # the first request issues the cookie
    gql_client.execute(GraphQLRequest(view, variable_values={"p": str(catalog[4].pk), "t": token}))
    mine = gql_client.execute(
        gql("{ myData { visitorId eventCount events { type productId } recentlyViewed } }")
    )
    assert mine["myData"]["eventCount"] == 1
    assert mine["myData"]["events"] == [{"type": "view", "productId": str(catalog[4].pk)}]
    assert mine["myData"]["recentlyViewed"] == [str(catalog[4].pk)]
    stranger = raw_post(endpoint, "{ myData { visitorId eventCount } }").json()["data"]["myData"]
    assert stranger["eventCount"] == 0
    assert stranger["visitorId"] != mine["myData"]["visitorId"]


def test_my_data_takes_no_id_argument(endpoint: str, catalog: list) -> None:
    response = raw_post(endpoint, '{ myData(visitorId: "abc") { visitorId } }')
    assert response.status_code == 400
    assert "Unknown argument 'visitorId'" in response.json()["errors"][0]["message"]


def _described(schema: Any) -> list[str]:
    """Names of every plugin type, field, argument and enum value lacking a description."""
    from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType

    missing = []
    for name, kind in schema.graphql_schema.type_map.items():
        if name.startswith("__") or name in {"String", "Boolean", "Int", "Float", "ID"}:
            continue
        if not kind.description:
            missing.append(name)
        if isinstance(kind, GraphQLObjectType | GraphQLInputObjectType):
            for field_name, field in kind.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{name}.{field_name}({arg_name})")
        if isinstance(kind, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, value in kind.values.items() if not value.description]
    return missing


def test_every_type_field_and_argument_is_described() -> None:
    from personalization_plugin.graphql.schema import schema

    assert _described(schema) == []


def test_recommendations_cost_a_bounded_number_of_queries(
    catalog: list, django_assert_max_num_queries: Any
) -> None:
    """Products come batched from serving: no query per item (N+1). A list of every
    product costs at most a couple of queries more than a list of one (catalog batches,
    the model-version check), whatever `first` is."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from personalization_plugin.serving import clear_caches

    client = Client()
    query = (
        "query($n: Int) { recommendations(placement: TRENDING, first: $n) "
        "{ items { product { id title price url imageUrl } } } }"
    )

    def run(n: int) -> int:
        clear_caches()
        with CaptureQueriesContext(connection) as captured:
            response = client.post(
                "/graphql/",
                {"query": query, "variables": {"n": n}},
                content_type="application/json",
            )
        assert len(response.json()["data"]["recommendations"]["items"]) == n
        return len(captured)

    client.post("/graphql/", {"query": "{ myData { visitorId } }"}, content_type="application/json")
    one, every = run(1), run(len(catalog))
    assert every <= one + 2, (one, every)
    with django_assert_max_num_queries(10):
        run(len(catalog))
