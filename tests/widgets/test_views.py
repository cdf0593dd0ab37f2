"""The htmx partial: private per-visitor fragment, validated parameters, never a 500."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.test import Client

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def client(db: None) -> Client:
    return Client()


def test_partial_renders_the_filled_list_for_htmx(client: Client, catalog: list) -> None:
    # New arrivals fill from the catalog's own dates: the list is its own, so it keeps
    # the owner's title.
    response = client.get("/widgets/p/new_arrivals/?limit=3&title=Hot", **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith("<section")
    assert "<html" not in body
    assert body.count("data-sp-product=") == 3
    assert 'data-sp-placement="new_arrivals"' in body
    assert "Hot" in body


def test_partial_is_private_and_varies_on_cookie_and_htmx(client: Client, catalog: list) -> None:
    response = client.get("/widgets/p/for_you/", **HTMX)
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert cache_control == {"private", "max-age=0"}
    vary = {part.strip() for part in response["Vary"].split(",")}
    assert {"Cookie", "HX-Request"} <= vary


def test_non_htmx_request_gets_a_standalone_page(client: Client, catalog: list) -> None:
    response = client.get("/widgets/p/trending/?limit=2")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.startswith("<!doctype html>")
    assert body.count("data-sp-product=") == 2
    assert 'name="robots" content="noindex"' in body


def test_bad_limit_is_a_400_that_says_what_is_wrong(client: Client) -> None:
    response = client.get("/widgets/p/for_you/?limit=lots", **HTMX)
    assert response.status_code == 400
    assert "limit must be a whole number" in response.content.decode()


def test_zero_limit_is_a_400(client: Client) -> None:
    response = client.get("/widgets/p/for_you/?limit=0", **HTMX)
    assert response.status_code == 400
    assert "at least 1" in response.content.decode()


def test_limit_is_capped_at_24(client: Client, catalog: list) -> None:
    # Only 12 products exist: ask trending for 100 and check the request was accepted.
    response = client.get("/widgets/p/trending/?limit=100", **HTMX)
    assert response.status_code == 200
    assert response.content.decode().count("data-sp-product=") == 12


def test_unknown_placement_is_a_404_naming_the_known_ones(client: Client) -> None:
    response = client.get("/widgets/p/for_me/", **HTMX)
    assert response.status_code == 404
    body = response.content.decode()
    assert "Unknown placement 'for_me'" in body and "for_you" in body


def test_unknown_product_is_a_404(client: Client, catalog: list) -> None:
    response = client.get("/widgets/p/similar/?product_id=999999", **HTMX)
    assert response.status_code == 404


def test_too_long_title_is_a_400(client: Client) -> None:
    response = client.get("/widgets/p/for_you/?title=" + "x" * 200, **HTMX)
    assert response.status_code == 400
    assert "title may be at most" in response.content.decode()


def test_post_is_not_allowed(client: Client) -> None:
    assert client.post("/widgets/p/for_you/", **HTMX).status_code == 405


def test_empty_list_gives_an_empty_fragment(client: Client, catalog: list) -> None:
    response = client.get("/widgets/p/recently_viewed/", **HTMX)
    assert response.status_code == 200
    assert response.content == b""


def test_internal_error_is_logged_and_answered_with_an_empty_fragment(
    client: Client, catalog: list, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("personalization_plugin.serving.recommend", broken)
    with caplog.at_level(logging.ERROR, logger="storefront_widgets"):
        response = client.get("/widgets/p/for_you/", **HTMX)
    assert response.status_code == 200
    assert response.content == b""
    assert "failed" in caplog.text


def test_title_is_escaped(client: Client, catalog: list) -> None:
    response = client.get("/widgets/p/new_arrivals/?limit=1&title=<script>x</script>", **HTMX)
    assert "<script>x" not in response.content.decode()
    assert "&lt;script&gt;" in response.content.decode()


def test_recently_viewed_shows_what_the_visitor_just_viewed(client: Client, catalog: list) -> None:
    viewed = catalog[3]
    client.get(viewed.get_absolute_url())
    response = client.get("/widgets/p/recently_viewed/", **HTMX)
    assert f'data-sp-product="{viewed.pk}"' in response.content.decode()
