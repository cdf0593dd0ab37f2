"""`path("personalization/saleor/", include("personalization_plugin.integrations.saleor.urls"))`."""

from __future__ import annotations

from django.urls import URLPattern, path

from personalization_plugin.integrations.saleor.views import webhook_view

app_name = "personalization_saleor"
urlpatterns: list[URLPattern] = [
    path("webhooks/", webhook_view, name="webhooks"),
]
