"""GraphiQL works offline: its page loads only the plugin's vendored static files (no CDN),
each file is byte for byte the one graphene-django pins by Subresource Integrity hash,
and in Chromium with every request off the store's host refused the IDE still starts."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from django.test import Client
from graphene_django.views import GraphQLView

from personalization_plugin.graphql.views import PersonalizationGraphQLView

VENDORED = (
    Path(__file__).resolve().parents[2]
    / "personalization_plugin/static/personalization_plugin/graphiql"
)
# file -> the GraphQLView attribute holding its integrity hash
PINNED = {
    "graphiql.min.js": "graphiql_sri",
    "graphiql.min.css": "graphiql_css_sri",
    "react.production.min.js": "react_sri",
    "react-dom.production.min.js": "react_dom_sri",
    "fetch.umd.js": "whatwg_fetch_sri",
    "graphql-ws.min.js": "subscriptions_transport_ws_sri",
    "graphiql-plugin-explorer.umd.js": "graphiql_plugin_explorer_sri",
    "graphiql-plugin-explorer.css": "graphiql_plugin_explorer_css_sri",
}


def graphiql_html() -> str:
    response = Client().get("/graphql/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_the_graphiql_page_loads_nothing_from_another_host() -> None:
    html = graphiql_html()
    links = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(links) == len(PINNED) + 1  # + graphene-django's own graphiql.js
    assert all(link.startswith("/static/") for link in links), links
    assert "cdn." not in html and "https://" not in html


@pytest.mark.django_db
def test_every_asset_carries_graphene_djangos_integrity_hash() -> None:
    html = graphiql_html()
    for name, attribute in PINNED.items():
        sri = getattr(GraphQLView, attribute)
        assert re.search(rf'{re.escape(name)}"\s+integrity="{re.escape(sri)}"', html), name


@pytest.mark.parametrize(("name", "attribute"), sorted(PINNED.items()))
def test_each_vendored_file_is_the_one_graphene_django_pins(name: str, attribute: str) -> None:
    digest = hashlib.sha256((VENDORED / name).read_bytes()).digest()
    assert f"sha256-{base64.b64encode(digest).decode()}" == getattr(GraphQLView, attribute)


def test_the_view_uses_the_offline_template() -> None:
    assert PersonalizationGraphQLView.graphiql_template.startswith("personalization_plugin/")


@pytest.fixture
def offline_page(live_server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, list]]:
    """A Chromium page that may reach only the live server; the other requests it tried."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    store = urlparse(live_server.url).netloc
    refused: list[str] = []

    def only_the_store(route: Any) -> None:
        if urlparse(route.request.url).netloc == store:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.route("**/*", only_the_store)
        yield page, refused
        browser.close()


@pytest.mark.browser
def test_graphiql_starts_and_answers_with_the_network_cut_off(
    transactional_db: None, live_server: Any, offline_page: tuple[Any, list], personalization: Any
) -> None:
    personalization(GRAPHQL_INTROSPECTION=True)  # the docs pane reads the schema
    page, refused = offline_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/graphql/")
    page.wait_for_selector(".graphiql-container", timeout=30_000)
    page.wait_for_selector(".graphiql-query-editor .CodeMirror", timeout=30_000)
    page.locator(".graphiql-execute-button").click()  # runs the default (commented) query
    page.wait_for_timeout(500)
    assert refused == [], refused
    assert errors == [], errors
