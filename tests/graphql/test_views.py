"""The endpoint: graphene-django's view, with errors that say what the client got wrong."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from graphene_django.views import GraphQLView

from personalization_plugin.graphql.limits import validation_rules
from personalization_plugin.graphql.schema import schema
from personalization_plugin.graphql.views import PersonalizationGraphQLView

pytestmark = pytest.mark.django_db


def post(body: Any, *, raw: bool = False) -> Any:
    data = body if raw else json.dumps(body)
    return Client().post("/graphql/", data=data, content_type="application/json")


def messages(response: Any) -> list[str]:
    return [e["message"] for e in response.json()["errors"]]


def test_the_view_is_graphene_djangos_with_the_plugins_rules() -> None:
    assert issubclass(PersonalizationGraphQLView, GraphQLView)
    assert PersonalizationGraphQLView.validation_rules == validation_rules()


def test_invalid_json_is_a_400_that_says_so() -> None:
    response = post(b"\xff\xfe{", raw=True)
    assert response.status_code == 400
    (message,) = messages(response)
    assert "not UTF-8" in message


def test_a_batch_sent_to_the_single_endpoint_is_a_400_that_says_so() -> None:
    response = post([{"query": "{ __typename }"}] * 2)
    assert response.status_code == 400
    assert messages(response) == ["The received data is not a valid JSON query."]


def test_a_non_string_query_is_a_400_that_says_so() -> None:
    response = post({"query": 5})
    assert response.status_code == 400
    assert messages(response) == ["query and operationName must be strings (JSON text)."]


def test_a_missing_query_is_a_400_that_says_so() -> None:
    response = post({"variables": {}})
    assert response.status_code == 400
    assert messages(response) == ["Must provide query string."]


def test_a_mutation_over_get_is_refused_with_the_reason() -> None:
    response = Client().get(
        "/graphql/",
        {"query": "mutation { setConsent(granted: true) { consent } }"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 405
    assert messages(response) == ["Can only perform a mutation operation from a POST request."]


def test_a_store_view_with_the_rules_enforces_the_limits(rf: Any, personalization: Any) -> None:
    personalization(GRAPHQL_MAX_DEPTH=2)
    view = GraphQLView.as_view(schema=schema, validation_rules=validation_rules())
    request = rf.post(
        "/graphql/",
        json.dumps({"query": "{ recommendations(placement: FOR_YOU) { items { position } } }"}),
        content_type="application/json",
    )
    response = view(request)
    assert response.status_code == 400
    assert "the limit is 2" in json.loads(response.content)["errors"][0]["message"]
