"""Included by `personalization_plugin.urls` under `segments/`."""

from __future__ import annotations

from django.urls import URLPattern, path

from personalization_plugin.segments import views

urlpatterns: list[URLPattern] = [
    path("slot/<slug:name>/", views.slot_view, name="segment_slot"),
]
