"""The htmx partial that fills a lazy widget: `/widgets/p/<placement>/?limit=..`.

Only this fragment is per visitor, so it is private and never shared by caches; the
page around the placeholder stays cacheable. Bad parameters get a 400/404 that says
what to fix; any other failure is logged and answered with an empty fragment (a
storefront never shows an error because personalization failed).

A partial whose shopper state, serving context and parameters are unchanged since it was
last rendered is answered from its rendered fragment (`serving.fragments`): one Redis
round trip, no database query, no serving work. Only a successful render is kept.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from personalization_plugin.core.exceptions import (
    InvalidRecommendationRequest,
    InvalidWidgetParameter,
    UnknownPlacement,
    UnknownProduct,
    UnknownWidgetPlacement,
)
from personalization_plugin.serving import fragments
from storefront_widgets import page_snapshot
from storefront_widgets.params import WidgetParams
from storefront_widgets.rendering import (
    get_visitor_for,
    preview_of,
    recommend,
    render_list,
    settle_above,
)

logger = logging.getLogger("storefront_widgets")


def _private(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, private=True, max_age=0)
    patch_vary_headers(response, ("Cookie", "HX-Request"))
    return response


def _error(status: int, message: str) -> HttpResponse:
    return _private(HttpResponse(message, status=status, content_type="text/plain; charset=utf-8"))


# A cached fragment keeps the list it shows in front of its HTML, so that a page view
# served from the cache can still agree its lists with the page's other partials.
LIST_END = "\x1d"


@require_GET
def partial(request: HttpRequest, placement: str) -> HttpResponse:
    """The filled widget for htmx (a bare fragment; empty when there is nothing to show),
    or a minimal standalone page for a browser without JavaScript following the
    placeholder's <noscript> link.

    A rendered fragment is reused (`serving.fragments`), keyed by the shopper's state and
    what was asked; for a lower widget, by the exclusions the lists above it make in
    *this* page view (settled first). With a page view id the reused list is claimed as
    the page's agreed one (`page_snapshot.claim`); when another partial of the page
    agreed a different one first, that one is rendered instead, so the page never
    repeats a product."""
    try:
        params = WidgetParams.from_query(placement, request.GET)
        page = page_snapshot.page_id(request)
    except UnknownWidgetPlacement as exc:
        return _error(404, str(exc))
    except InvalidWidgetParameter as exc:
        return _error(400, str(exc))
    # An editor's segment preview must show the rules as they are now: it is neither
    # answered from, nor kept in, the cache. A lower widget depends on the lists above
    # it in this page view: they are settled first and its fragment is cached under the
    # exclusions they make, so the same page state is answered from the cache.
    fragment, slot = None, None
    if preview_of(request) is None:
        query = list(request.GET.lists())
        if params.above:
            params = settle_above(params, request, page=page)
            query = [(k, v) for k, v in query if k not in ("above", "exclude")]
            query.append(("exclude", [",".join(params.exclude)]))
        fragment, slot = _cached(request, placement, query)
    if fragment is not None:
        listed, _, fragment = fragment.rpartition(LIST_END)
        if page and listed:
            other = page_snapshot.claim(page, params, listed)
            if other is not None:
                fragment, slot = None, None
    if fragment is None:
        try:
            recs = recommend(params, request, page=page)
            fragment = render_list(params, recs, request)
        except (UnknownProduct, UnknownPlacement) as exc:
            return _error(404, str(exc))
        except InvalidRecommendationRequest as exc:
            return _error(400, str(exc))
        except Exception:
            logger.exception(
                "Widget partial for %r failed; answering with an empty fragment.", placement
            )
            fragment = ""
        else:
            listed = page_snapshot.encode(recs) or ""
            fragments.store(
                slot,
                listed + LIST_END + fragment,
                str(getattr(recs, "recommendation_id", "") or ""),
            )
    return _respond(request, params, fragment)


def _cached(
    request: HttpRequest, placement: str, query: list[tuple[str, list[str]]]
) -> tuple[str | None, fragments.Slot | None]:
    """The partial's cached fragment (or None) and where to keep it once rendered.

    The visitor is built here, lazily, from the cookie alone for an anonymous shopper
    (no database query); a lookup failure is a miss, never an error."""
    try:
        visitor = get_visitor_for(request)
        subject = visitor.subject if visitor is not None and visitor.can_personalize else None
        digest = fragments.request_digest(placement, query, get_language() or "")
        return fragments.lookup(subject, digest)
    except Exception:
        logger.exception("Widget fragment lookup for %r failed; rendering it.", placement)
        return None, None


def _respond(request: HttpRequest, params: WidgetParams, fragment: str) -> HttpResponse:
    if getattr(request, "htmx", False):
        return _private(HttpResponse(fragment))
    page = render_to_string(
        "storefront_widgets/partial_page.html",
        {"fragment": fragment, "heading": params.heading},
        request=request,
    )
    return _private(HttpResponse(page))
