"""A Saleor App deployment's URLs: the webhook endpoint and the GraphQL API."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("personalization/saleor/", include("personalization_plugin.integrations.saleor.urls")),
    path("graphql/", include("personalization_plugin.graphql.urls")),
]
