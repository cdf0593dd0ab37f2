"""Abusive queries are rejected with errors that name the limit, never with a 500."""

from __future__ import annotations

from typing import Any

from .conftest import raw_post


def test_query_deeper_than_8_is_rejected_by_default(endpoint: str, catalog: list) -> None:
    deep = "{ recommendations(placement: FOR_YOU) { items { product { id } } } }"
    assert raw_post(endpoint, deep).status_code == 200
    abusive = "query Abuse " + "{ a " * 12 + "{ id }" + " }" * 12
    response = raw_post(endpoint, abusive)
    assert response.status_code == 400
    messages = [e["message"] for e in response.json()["errors"]]
    assert any("the limit is 8" in m for m in messages)


def test_depth_limit_counts_nesting_and_names_the_limit(
    endpoint: str, catalog: list, personalization: Any
) -> None:
    personalization(GRAPHQL_MAX_DEPTH=3)
    response = raw_post(
        endpoint, "query Deep { recommendations(placement: FOR_YOU) { items { product { id } } } }"
    )
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["message"].startswith("Operation 'Deep' is nested 4 levels deep; the limit is 3.")


def test_depth_through_fragments_is_counted(
    endpoint: str, catalog: list, personalization: Any
) -> None:
    personalization(GRAPHQL_MAX_DEPTH=3)
    query = (
        "fragment P on Recommendation { product { id } } "
        "{ recommendations(placement: FOR_YOU) { items { ...P } } }"
    )
    response = raw_post(endpoint, query)
    assert response.status_code == 400
    assert "nested 4 levels deep" in response.json()["errors"][0]["message"]


def test_cyclic_fragments_are_an_error_not_a_crash(endpoint: str, catalog: list) -> None:
    query = "fragment A on Query { ...B } fragment B on Query { ...A } { ...A }"
    response = raw_post(endpoint, query)
    assert response.status_code == 400
    assert "Cannot spread fragment" in response.json()["errors"][0]["message"]


def test_alias_abuse_is_rejected(endpoint: str, catalog: list) -> None:
    fields = " ".join(
        f"a{i}: recommendations(placement: TRENDING) {{ placement }}" for i in range(16)
    )
    response = raw_post(endpoint, "query Many { " + fields + " }")
    assert response.status_code == 400
    assert "more than 15 aliases" in response.json()["errors"][0]["message"]


def test_a_few_aliases_are_fine(endpoint: str, catalog: list) -> None:
    fields = " ".join(
        f"a{i}: recommendations(placement: TRENDING, first: 1) {{ placement }}" for i in range(3)
    )
    response = raw_post(endpoint, "{ " + fields + " }")
    assert response.status_code == 200
    assert response.json()["data"]["a2"] == {"placement": "trending"}


def test_field_count_is_limited(endpoint: str, catalog: list, personalization: Any) -> None:
    personalization(GRAPHQL_MAX_FIELDS=5)
    query = "{ recommendations(placement: TRENDING) { placement modelVersion recommendationId items { position productId } } }"
    response = raw_post(endpoint, query)
    assert response.status_code == 400
    assert "selects more than 5 fields" in response.json()["errors"][0]["message"]


def test_overlong_query_is_rejected(endpoint: str, catalog: list) -> None:
    query = "{ recommendations(placement: TRENDING) { placement } }" + " " * 10_001
    response = raw_post(endpoint, query)
    assert response.status_code == 400
    assert "the limit is 10000" in response.json()["errors"][0]["message"]


def test_introspection_can_be_disabled(endpoint: str, catalog: list, personalization: Any) -> None:
    personalization(GRAPHQL_INTROSPECTION=True)
    assert raw_post(endpoint, "{ __schema { queryType { name } } }").status_code == 200
    personalization(GRAPHQL_INTROSPECTION=False)
    response = raw_post(endpoint, "{ __schema { queryType { name } } }")
    assert response.status_code == 400
    assert "introspection" in response.json()["errors"][0]["message"].lower()


def test_garbage_is_a_400_not_a_500(endpoint: str, catalog: list) -> None:
    assert raw_post(endpoint, "{ recommendations(").status_code == 400
