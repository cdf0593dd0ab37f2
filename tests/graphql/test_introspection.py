"""Introspection under the limits: every field counts, `__schema` and `__type` included
(62 aliased `__schema` selections in a 9 kB query used to answer 1.4 MB), the answer's
size is capped, and introspection is off outside DEBUG unless the owner turns it on."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from graphql import get_introspection_query

pytestmark = pytest.mark.django_db
FULL_INTROSPECTION = get_introspection_query(
    descriptions=True,
    specified_by_url=True,
    directive_is_repeatable=True,
    schema_description=True,
    input_value_deprecation=True,
)


def post(query: str) -> Any:
    return Client().post("/graphql/", json.dumps({"query": query}), content_type="application/json")


def messages(response: Any) -> str:
    return " ".join(e["message"] for e in response.json().get("errors", []))


@pytest.fixture
def introspection_on(personalization: Any) -> None:
    personalization(GRAPHQL_INTROSPECTION=True)


def test_introspection_is_off_outside_debug_by_default(settings: Any) -> None:
    settings.DEBUG = False
    response = post("{ __schema { queryType { name } } }")
    assert response.status_code == 400 and "introspection" in messages(response).lower()


def test_introspection_is_on_under_debug_by_default(settings: Any) -> None:
    settings.DEBUG = True
    response = post("{ __schema { queryType { name } } }")
    assert response.status_code == 200, messages(response)
    assert response.json()["data"]["__schema"]["queryType"]["name"] == "Query"


def test_the_owner_can_turn_introspection_on_in_production(
    settings: Any, introspection_on: None
) -> None:
    settings.DEBUG = False
    assert post('{ __type(name: "Query") { name } }').status_code == 200


def test_the_owner_can_turn_introspection_off_under_debug(
    settings: Any, personalization: Any
) -> None:
    settings.DEBUG = True
    personalization(GRAPHQL_INTROSPECTION=False)
    assert post('{ __type(name: "Query") { name } }').status_code == 400


def test_62_aliased_schema_selections_are_refused_by_the_alias_limit(
    introspection_on: None,
) -> None:
    query = "{ " + " ".join(f"s{i}: __schema {{ types {{ name }} }}" for i in range(62)) + " }"
    response = post(query)
    assert response.status_code == 400 and "more than 15 aliases" in messages(response)


def test_aliases_inside_introspection_count(introspection_on: None) -> None:
    """The walk used to stop at `__schema`: aliases under it were never counted."""
    inner = " ".join(f"t{i}: types {{ name fields {{ name }} }}" for i in range(62))
    response = post("{ __schema { " + inner + " } }")
    assert response.status_code == 400 and "more than 15 aliases" in messages(response)


def test_fields_inside_introspection_count(introspection_on: None, personalization: Any) -> None:
    personalization(GRAPHQL_MAX_FIELDS=5)
    response = post("{ __schema { types { name kind description fields { name } } } }")
    assert response.status_code == 400 and "more than 5 fields" in messages(response)


def test_depth_inside_introspection_counts(introspection_on: None) -> None:
    """`fields { type { fields { type ...` fans out at every level: it is nesting."""
    fan_out = "{ __schema { types { fields { type { fields { type { fields { type { name } } } } } } } } }"
    response = post(fan_out)
    assert response.status_code == 400 and "the limit is 8" in messages(response)


def test_the_standard_introspection_query_passes_the_limits(introspection_on: None) -> None:
    """What GraphiQL and every client library send: its long `ofType` chain is not
    counted as depth (it cannot fan out), and its 229 fields fit the default limit."""
    response = post(FULL_INTROSPECTION)
    assert response.status_code == 200, messages(response)
    assert response.json()["data"]["__schema"]["queryType"]["name"] == "Query"


def test_an_answer_over_the_size_limit_is_refused_with_the_limit(
    introspection_on: None, personalization: Any
) -> None:
    personalization(GRAPHQL_MAX_RESPONSE_BYTES=2_000)
    response = post(FULL_INTROSPECTION)
    assert response.status_code == 400
    assert "the limit is 2000" in messages(response)
    assert len(response.content) < 2_000
    assert "data" not in response.json()
