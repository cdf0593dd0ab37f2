"""`path("graphql/", include("personalization_plugin.graphql.urls"))`: the GraphQL endpoint
with GraphiQL in a browser, serving GRAPHENE["SCHEMA"] or the plugin's own schema."""

from __future__ import annotations

from django.urls import URLPattern, path

from personalization_plugin.graphql.views import PersonalizationGraphQLView

urlpatterns: list[URLPattern] = [
    path("", PersonalizationGraphQLView.as_view(graphiql=True), name="graphql"),
]
