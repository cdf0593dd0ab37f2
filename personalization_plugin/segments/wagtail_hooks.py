"""The segments app's Wagtail admin wiring: its viewset under the Personalization menu."""

from __future__ import annotations

from typing import Any

from wagtail import hooks


@hooks.register("register_admin_viewset")
def register_segment_viewset() -> Any:
    from personalization_plugin.segments.admin import SegmentViewSet

    return SegmentViewSet()
