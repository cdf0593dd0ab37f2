"""URLs a store includes: `path("personalization/", include("personalization_plugin.urls"))`."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

app_name = "personalization"
urlpatterns: list[URLPattern | URLResolver] = []
