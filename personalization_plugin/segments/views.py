"""The lazy slot partial: `/personalization/segments/slot/<name>/` renders the variant the
current shopper gets. Private to the shopper (`Cache-Control: private`, `Vary: Cookie`), so
the page around the placeholder stays cacheable for everyone."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import require_GET

from personalization_plugin.core.exceptions import UnknownSlot
from personalization_plugin.segments.slots import render_slot

logger = logging.getLogger("personalization_plugin.segments")


def _private(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, private=True, max_age=0)
    patch_vary_headers(response, ("Cookie",))
    return response


@require_GET
def slot_view(request: HttpRequest, name: str) -> HttpResponse:
    """The chosen variant's HTML (404 naming the fix for an unknown slot)."""
    try:
        slug, html = render_slot(name, request)
    except UnknownSlot as exc:
        return _private(
            HttpResponse(str(exc), status=404, content_type="text/plain; charset=utf-8")
        )
    response = HttpResponse(html)
    response["X-Segment"] = slug or "default"
    return _private(response)
