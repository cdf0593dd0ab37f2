"""URLs a store includes: `path("personalization/", include("personalization_plugin.urls"))`."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from personalization_plugin.privacy import center as privacy_center
from personalization_plugin.privacy import views as privacy_views
from personalization_plugin.tracking import views as tracking_views

app_name = "personalization"
urlpatterns: list[URLPattern | URLResolver] = [
    path("events/", tracking_views.intake_view, name="events"),
    path("consent/", privacy_views.consent_view, name="consent"),
    path("my-data/", privacy_views.my_data_view, name="my_data"),
    path("forget-me/", privacy_center.forget_me_entry, name="forget_me"),
    path("privacy/", privacy_center.center_action_view, name="privacy_center"),
    path("segments/", include("personalization_plugin.segments.urls")),
]
