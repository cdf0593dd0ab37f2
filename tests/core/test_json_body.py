"""The one JSON body reader (`core.json_body`) and the endpoints that use it: a 2 kB body
nested 2,000 deep (a RecursionError inside `json.loads`) is a 400 that says so at the
intake, consent, forget-me and GraphQL (body and `variables`), never a 500."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from personalization_plugin.core.json_body import (
    MAX_DEPTH,
    JsonBodyError,
    nesting_depth,
    read_json,
)
from personalization_plugin.tracking.identity import sign_visitor_id
from personalization_plugin.tracking.tokens import intake_token

DEEP = ("[" * 2000 + "]" * 2000).encode()  # 4 kB, deeper than the interpreter's limit
VISITOR = "7d" * 16


def nested(depth: int) -> str:
    """A list `depth` levels deep: [[[...]]]."""
    return "[" * depth + "]" * depth


def test_a_body_deeper_than_the_interpreter_allows_is_a_400_error() -> None:
    with pytest.raises(JsonBodyError) as caught:
        read_json(DEEP, max_bytes=10_000)
    assert caught.value.status == 400
    assert f"more than {MAX_DEPTH} levels" in caught.value.message


def test_a_body_just_over_the_depth_limit_is_refused_and_at_it_accepted() -> None:
    assert read_json(nested(MAX_DEPTH).encode(), max_bytes=10_000) == json.loads(nested(MAX_DEPTH))
    with pytest.raises(JsonBodyError, match="levels deep"):
        read_json(nested(MAX_DEPTH + 1).encode(), max_bytes=10_000)


def test_depth_counts_objects_and_lists_alike() -> None:
    assert nesting_depth({"a": [{"b": 1}]}, 10) == 3
    assert nesting_depth(5, 10) == 0
    assert nesting_depth(json.loads(nested(50)), 10) == 11  # stops counting past the limit


def test_depth_is_measured_without_recursion() -> None:
    value: list = []
    for _ in range(100_000):  # far beyond the recursion limit: built, not parsed
        value = [value]
    assert nesting_depth(value, 10**6) == 100_001


def test_a_body_over_the_size_limit_is_a_413_naming_the_limit() -> None:
    with pytest.raises(JsonBodyError) as caught:
        read_json(b'{"a": "' + b"x" * 100 + b'"}', max_bytes=50)
    assert caught.value.status == 413 and "larger than the limit of 50 bytes" in str(caught.value)


@pytest.mark.parametrize(
    ("body", "words"),
    [(b"\xff\xfe{", "not UTF-8"), (b"{nope", "not valid JSON"), (b"  ", "empty")],
)
def test_malformed_bodies_say_what_was_wrong(body: bytes, words: str) -> None:
    with pytest.raises(JsonBodyError, match=words):
        read_json(body, max_bytes=100)


def test_an_empty_body_can_mean_a_default() -> None:
    assert read_json(b"", max_bytes=100, empty={}) == {}


@pytest.fixture
def visitor_client(db: None) -> Client:
    client = Client()
    client.cookies["sp_vid"] = sign_visitor_id(VISITOR)
    return client


def assert_clear_400(response: object) -> None:
    assert response.status_code == 400, (response.status_code, response.content[:300])  # type: ignore[attr-defined]
    assert "levels deep" in response.content.decode()  # type: ignore[attr-defined]


def test_deep_json_at_the_intake_is_a_400(visitor_client: Client) -> None:
    body = json.dumps({"token": intake_token(VISITOR), "events": "@"}).replace('"@"', DEEP.decode())
    response = visitor_client.post(
        reverse("personalization:events"), body, content_type="text/plain"
    )
    assert_clear_400(response)


@pytest.mark.parametrize("view", ["personalization:consent", "personalization:forget_me"])
def test_deep_json_at_consent_and_forget_me_is_a_400(visitor_client: Client, view: str) -> None:
    response = visitor_client.post(reverse(view), DEEP, content_type="application/json")
    assert_clear_400(response)
    assert "sp_consent" not in response.cookies, "nothing was decided on a body never read"


def test_a_json_body_that_is_not_an_object_is_a_400_at_forget_me(visitor_client: Client) -> None:
    response = visitor_client.post(
        reverse("personalization:forget_me"), b"[1]", content_type="application/json"
    )
    assert response.status_code == 400 and "JSON object" in response.json()["error"]


def test_deep_json_as_a_graphql_body_is_a_400(db: None) -> None:
    response = Client().post("/graphql/", DEEP, content_type="application/json")
    assert_clear_400(response)


def test_deep_graphql_variables_are_a_400_in_the_body_and_in_the_url(db: None) -> None:
    query = "query Q($v: String) { __typename }"
    body = json.dumps({"query": query, "variables": {"v": "@"}}).replace('"@"', DEEP.decode())
    assert_clear_400(Client().post("/graphql/", body, content_type="application/json"))
    response = Client().get(
        "/graphql/", {"query": query, "variables": DEEP.decode()}, HTTP_ACCEPT="application/json"
    )
    assert_clear_400(response)


def test_variables_nested_within_the_limit_but_too_deep_are_a_400(db: None) -> None:
    """Parsed without a RecursionError, but deeper than the limit: refused before
    graphql-core's coercion recurses over them."""
    query = "query Q($v: String) { __typename }"
    form = {"query": query, "variables": json.dumps({"v": json.loads(nested(MAX_DEPTH + 5))})}
    response = Client().post("/graphql/", form)  # a form body; test Client skips CSRF
    assert_clear_400(response)
