"""The segments app's Wagtail admin wiring: its viewset under the Personalization menu and
the segment builder's endpoint."""

from __future__ import annotations

from typing import Any

from wagtail import hooks


@hooks.register("register_admin_viewset")
def register_segment_viewset() -> Any:
    from personalization_plugin.segments.admin import SegmentViewSet

    return SegmentViewSet()


@hooks.register("register_admin_urls")
def register_segment_builder_url() -> list[Any]:
    """The builder's htmx endpoint, behind Wagtail's admin login."""
    from django.urls import path

    from personalization_plugin.segments.views import builder_view

    return [
        path(
            "personalization/segment-builder/",
            builder_view,
            name="personalization_segment_builder",
        )
    ]
