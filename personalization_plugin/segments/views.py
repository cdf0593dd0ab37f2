"""The lazy slot partial: `/personalization/segments/slot/<name>/` renders the variant the
current shopper gets. Private to the shopper (`Cache-Control: private`, `Vary: Cookie`), so
the page around the placeholder stays cacheable for everyone.

And the segment builder's htmx endpoint (admin only, mounted by `wagtail_hooks`)."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from personalization_plugin.core.exceptions import UnknownSlot
from personalization_plugin.core.permissions import VIEW_CUSTOMERS
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


BUILDER_TEMPLATE = "personalization_plugin/segments/builder.html"


def builder_context(
    field_name: str, tree: Any, state: Any, notice: str = "", user: Any = None
) -> dict[str, Any]:
    """What the builder template needs: rows, the JSON, the problem, the live preview."""
    import json

    from personalization_plugin.segments import builder
    from personalization_plugin.segments.reference import rule_reference
    from personalization_plugin.segments.rules import RULES

    error = builder.validation_error(tree) if tree else ""
    preview = None
    if tree and not error:
        try:
            preview = builder.preview(
                tree, customers_in_clear=bool(user and user.has_perm(VIEW_CUSTOMERS))
            )
        except Exception:  # the count is a help, never a reason to lose the owner's edit
            logger.exception("Segment builder preview failed.")
    return {
        "field_name": field_name,
        "state": state,
        "json": json.dumps(tree, indent=2) if tree else "",
        "error": error,
        "notice": notice,
        "preview": preview,
        "kinds": [(k.name, k.label, k.group) for k in RULES.values()],
        "url": reverse("personalization_segment_builder"),
        "reference": rule_reference(),
    }


@require_POST
def builder_view(request: HttpRequest) -> HttpResponse:
    """The builder re-rendered after an edit (htmx): rows, JSON, live count and sample.

    `sb-action=json` reads the advanced JSON view instead of the rows."""
    import json

    from personalization_plugin.segments import builder

    if not (
        request.user.has_perm("personalization_segments.change_segment")
        or request.user.has_perm("personalization_segments.add_segment")
    ):
        raise PermissionDenied
    field_name = str(request.POST.get("sb-field") or "rules")[:40]
    notice = ""
    if request.POST.get("sb-action") == "json":
        try:
            tree = json.loads(request.POST.get(field_name) or "{}")
        except ValueError as exc:
            tree = None
            notice = gettext("The JSON does not parse (%(error)s); fix it or use the builder.") % {
                "error": exc
            }
        state = builder.rows_from_tree(tree) if tree is not None else None
        if tree is not None and state is None:
            notice = gettext(
                "This rule tree is nested deeper than the builder shows; edit it as JSON."
            )
        context = builder_context(field_name, tree, state, notice, request.user)
        if tree is None:
            context["json"] = request.POST.get(field_name) or ""
    else:
        state = builder.state_from_post(request.POST)
        context = builder_context(field_name, state.tree(), state, user=request.user)
    return render(request, BUILDER_TEMPLATE, context)
