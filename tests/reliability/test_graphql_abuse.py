"""Abusive GraphQL against /graphql/: deep nesting, huge `first`, alias and fragment
bombs, fragment cycles, very long queries, batched bodies, introspection switched off,
and random token soup. Always a clear error (never a 500), never anything stored."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from personalization_plugin.models import Event
from personalization_plugin.tracking.backends import get_backend

from .test_intake_hostile import json_values

TRACK = 'trackEvent(input: {type: VIEW, productId: "1"}) { recorded }'


def post(body: Any, raw: bool = False) -> Any:
    data = body if raw else json.dumps(body)
    return Client().post("/graphql/", data=data, content_type="application/json")


def query(text: str, variables: dict[str, Any] | None = None) -> Any:
    return post({"query": text, "variables": variables or {}})


def assert_rejected(response: Any, *words: str) -> str:
    assert response.status_code in (200, 400), response.status_code
    errors = response.json()["errors"]
    messages = " ".join(e["message"] for e in errors)
    for word in words:
        assert word in messages, messages
    get_backend().flush()
    assert Event.objects.count() == 0, "nothing stored by a rejected operation"
    return messages


def test_a_plain_query_works(catalog: list[Any]) -> None:
    response = query("{ recommendations(placement: TRENDING) { items { productId } } }")
    assert response.status_code == 200 and "errors" not in response.json()


def test_deep_nesting_is_rejected(catalog: list[Any]) -> None:
    deep = (
        "{ recommendations(placement: FOR_YOU) "
        + "{ items { product " * 10
        + "{ id }"
        + " } }" * 10
        + " }"
    )
    assert_rejected(query(deep), "nested")


def test_huge_first_is_rejected_with_the_limit(catalog: list[Any]) -> None:
    for first in (10**9, 2**31 - 1):
        response = query(
            f"{{ recommendations(placement: TRENDING, first: {first}) {{ placement }} }}"
        )
        assert_rejected(response, "first")


def test_first_beyond_graphql_int_is_an_error_not_a_500(catalog: list[Any]) -> None:
    response = query(
        "{ recommendations(placement: TRENDING, first: 99999999999999999999) { placement } }"
    )
    assert_rejected(response)


def test_aliases_multiplying_a_mutation_are_rejected_and_store_nothing(catalog: list[Any]) -> None:
    aliases = " ".join(f"t{n}: {TRACK}" for n in range(100))
    assert_rejected(query(f"mutation {{ {aliases} }}"), "alias")


def test_aliases_multiplying_a_field_are_rejected(catalog: list[Any]) -> None:
    aliases = " ".join(
        f"r{n}: recommendations(placement: TRENDING) {{ placement }}" for n in range(60)
    )
    assert_rejected(query(f"{{ {aliases} }}"), "alias")


def test_a_fragment_bomb_is_rejected_quickly(catalog: list[Any]) -> None:
    fragments = ["fragment F0 on Query { recommendations(placement: TRENDING) { placement } }"]
    fragments += [f"fragment F{n} on Query {{ ...F{n - 1} ...F{n - 1} }}" for n in range(1, 40)]
    started = time.monotonic()
    response = query("query Bomb { ...F39 } " + " ".join(fragments))
    assert time.monotonic() - started < 10, "validated without expanding 2**39 fields"
    assert_rejected(response)


def test_fragment_cycles_are_an_error(catalog: list[Any]) -> None:
    text = "fragment A on Query { ...B } fragment B on Query { ...A } { ...A }"
    assert_rejected(query(text))


def test_a_very_long_query_is_rejected(catalog: list[Any]) -> None:
    text = "{ __typename " + " " * 200_000 + "}"
    assert_rejected(query(text), "long")


def test_introspection_is_refused_when_the_owner_turns_it_off(
    catalog: list[Any], personalization: Any
) -> None:
    personalization(GRAPHQL_INTROSPECTION=False)
    assert_rejected(query("{ __schema { types { name } } }"), "introspection")
    assert_rejected(query('{ __type(name: "Query") { fields { name } } }'), "introspection")


def test_batched_and_malformed_bodies_are_400s(catalog: list[Any]) -> None:
    batch = [{"query": f"mutation {{ {TRACK} }}"}] * 50
    for response in (
        post(batch),
        post(b"\xff\xfe{", raw=True),
        post({"query": 5}),
        post({"query": "{ __typename }", "variables": "not an object"}),
    ):
        assert response.status_code == 400, (response.status_code, response.content[:200])
        assert response.json()["errors"]
    get_backend().flush()
    assert Event.objects.count() == 0


tokens = st.sampled_from(
    ["{", "}", "(", ")", "[", "]", ":", "...", "$", "!", "@", "=", "query", "mutation",
     "fragment", "on", "recommendations", "placement", "FOR_YOU", "first", "items",
     "product", "id", "trackEvent", "input", "type", "VIEW", "__schema", "__type",
     "__typename", "myData", "mySegments", '"1"', "1", "-1", "1e9", "null", "true", "F", "a:"]
)  # fmt: skip


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    soup=st.lists(tokens, max_size=40).map(" ".join),
    variables=st.dictionaries(
        st.sampled_from(["p", "id", "first", "input"]), json_values, max_size=3
    ),
)
def test_random_documents_never_cause_a_500(catalog: list[Any], soup: str, variables: Any) -> None:
    response = post({"query": soup, "variables": variables})
    assert response.status_code in (200, 400), (soup, response.status_code)
    body = response.json()
    assert "data" in body or "errors" in body


def test_non_string_operation_name_is_a_400(catalog: list[Any]) -> None:
    response = post({"query": "query A { __typename }", "operationName": ["A"]})
    assert response.status_code == 400 and response.json()["errors"]
