"""A Saleor App deployment's URLs: the webhook endpoint and the GraphQL API."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from .saleor_payloads import KEY


def jwks(request: HttpRequest) -> JsonResponse:
    """Stands in for Saleor's own /.well-known/jwks.json (its public keys)."""
    return JsonResponse(KEY.jwks)


urlpatterns = [
    path(".well-known/jwks.json", jwks),
    path("personalization/saleor/", include("personalization_plugin.integrations.saleor.urls")),
    path("graphql/", include("personalization_plugin.graphql.urls")),
]
