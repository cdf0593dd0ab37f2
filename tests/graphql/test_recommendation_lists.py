"""GraphQL `recommendations`: `exclude` keeps a page's other lists out, `fallback`
chooses what fills a short list, and `source` / `title` / `explanation` say what it is."""

from __future__ import annotations

from typing import Any

from gql import gql

from .conftest import raw_post

QUERY = gql(
    """query($placement: RecommendationPlacement!, $exclude: [ID!], $fallback: String) {
         recommendations(placement: $placement, first: 6, exclude: $exclude, fallback: $fallback) {
           placement source title explanation items { productId } } }"""
)


def ask(client: Any, placement: str, **variables: Any) -> dict[str, Any]:
    values = {"placement": placement, **variables}
    return client.execute(QUERY, variable_values=values)["recommendations"]


def test_exclude_keeps_the_pages_other_lists_out(gql_client: Any, catalog: list) -> None:
    first = ask(gql_client, "NEW_ARRIVALS")
    shown = [item["productId"] for item in first["items"]]
    second = ask(gql_client, "TRENDING", exclude=shown)
    assert len(shown) == 6 and len(second["items"]) == 6
    assert not set(shown) & {item["productId"] for item in second["items"]}


def test_a_list_says_what_filled_it(gql_client: Any, catalog: list) -> None:
    own = ask(gql_client, "NEW_ARRIVALS")
    assert (own["source"], own["title"]) == ("new_arrivals", "New arrivals")
    assert "same for every visitor" in own["explanation"]
    stood_in = ask(gql_client, "FOR_YOU")  # a new visitor: nothing personal to show
    assert stood_in["placement"] == "for_you" and stood_in["items"]
    assert stood_in["source"] != "for_you" and stood_in["title"] != "Picked for you"


def test_fallback_none_leaves_an_empty_list(gql_client: Any, catalog: list) -> None:
    empty = ask(gql_client, "FOR_YOU", fallback="none")
    assert empty["items"] == [] and empty["source"] == "" and empty["explanation"] == ""


def test_a_bad_fallback_or_too_many_exclusions_is_a_clear_error(
    endpoint: str, catalog: list
) -> None:
    query = "query($f: String) { recommendations(placement: TRENDING, fallback: $f) { source } }"
    body = raw_post(endpoint, query, f="everything").json()
    assert "Unknown fallback 'everything'; use one of" in body["errors"][0]["message"]
    many = "query($e: [ID!]) { recommendations(placement: TRENDING, exclude: $e) { source } }"
    body = raw_post(endpoint, many, e=[str(n) for n in range(201)]).json()
    assert "exclude may name at most 200 products" in body["errors"][0]["message"]
