"""The htmx partial that fills a lazy widget: `/widgets/p/<placement>/?limit=..`.

Only this fragment is per visitor, so it is private and never shared by caches; the
page around the placeholder stays cacheable. Bad parameters get a 400/404 that says
what to fix; any other failure is logged and answered with an empty fragment (a
storefront never shows an error because personalization failed).
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import require_GET

from personalization_plugin.core.exceptions import (
    InvalidRecommendationRequest,
    InvalidWidgetParameter,
    UnknownPlacement,
    UnknownProduct,
    UnknownWidgetPlacement,
)
from storefront_widgets import page_snapshot
from storefront_widgets.params import WidgetParams
from storefront_widgets.rendering import recommend, render_list

logger = logging.getLogger("storefront_widgets")


def _private(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, private=True, max_age=0)
    patch_vary_headers(response, ("Cookie", "HX-Request"))
    return response


def _error(status: int, message: str) -> HttpResponse:
    return _private(HttpResponse(message, status=status, content_type="text/plain; charset=utf-8"))


@require_GET
def partial(request: HttpRequest, placement: str) -> HttpResponse:
    """The filled widget for htmx (a bare fragment; empty when there is nothing to show),
    or a minimal standalone page for a browser without JavaScript following the
    placeholder's <noscript> link."""
    try:
        params = WidgetParams.from_query(placement, request.GET)
        page = page_snapshot.page_id(request)
    except UnknownWidgetPlacement as exc:
        return _error(404, str(exc))
    except InvalidWidgetParameter as exc:
        return _error(400, str(exc))
    try:
        fragment = render_list(params, recommend(params, request, page=page), request)
    except (UnknownProduct, UnknownPlacement) as exc:
        return _error(404, str(exc))
    except InvalidRecommendationRequest as exc:
        return _error(400, str(exc))
    except Exception:
        logger.exception(
            "Widget partial for %r failed; answering with an empty fragment.", placement
        )
        fragment = ""
    if getattr(request, "htmx", False):
        return _private(HttpResponse(fragment))
    page = render_to_string(
        "storefront_widgets/partial_page.html",
        {"fragment": fragment, "heading": params.heading},
        request=request,
    )
    return _private(HttpResponse(page))
