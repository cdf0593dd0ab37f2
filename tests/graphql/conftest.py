"""GraphQL fixtures: a small demo-store catalog (real models, real adapter), clean
`gql` clients (in-process state is reset by the root conftest) talking to the live test server."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests
from gql import Client
from gql.transport.requests import RequestsHTTPTransport


@pytest.fixture
def catalog(transactional_db: None) -> list:
    """Twelve published, in-stock products in two categories, newest last."""
    from shop.models import Category, Product

    cookware = Category.objects.create(name="Cookware", slug="cookware", position=1)
    garden = Category.objects.create(name="Garden", slug="garden", position=2)
    products = []
    for n in range(1, 13):
        products.append(
            Product.objects.create(
                title=f"Stoneware Bowl {n}" if n % 2 else f"Garden Trowel {n}",
                slug=f"product-{n}",
                price=Decimal(f"{10 + n}.50"),
                currency="EUR",
                stock=10,
                category=cookware if n % 2 else garden,
            )
        )
    return products


@pytest.fixture
def endpoint(live_server: Any) -> str:
    return f"{live_server.url}/graphql/"


@pytest.fixture
def gql_client(endpoint: str) -> Iterator[Any]:
    """A gql session over HTTP with its own cookie jar (one browser, one visitor)."""
    transport = RequestsHTTPTransport(url=endpoint, timeout=20, retries=0)
    client = Client(transport=transport, fetch_schema_from_transport=False)
    with client as session:
        yield session


def raw_post(endpoint: str, query: str, **variables: Any) -> requests.Response:
    """POST a query without gql's client-side validation, to see the server's answer."""
    return requests.post(endpoint, json={"query": query, "variables": variables}, timeout=20)
