"""A product chooser for merchandising rules, over the store adapter's catalog.

The owner types part of a product's title (or its id) and picks it from the results, in
the manner of Wagtail's choosers, instead of looking up an id. The search is the adapter's
`search_products(query, limit)` when it has one, else a bounded scan of `iter_products`
(titles and ids, case-insensitive). Results say whether a product is available, so an
out-of-stock or unpublished product is visibly not pinnable.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from personalization_plugin.adapters import ProductInfo, get_adapter
from personalization_plugin.core.permissions import require

MAX_RESULTS = 20
MAX_SCANNED = 5000
RESULTS_TEMPLATE = "personalization_plugin/admin/product_chooser_results.html"
WIDGET_TEMPLATE = "personalization_plugin/admin/product_chooser.html"


def _scan(query: str) -> Iterator[ProductInfo]:
    scanned = 0
    needle = query.casefold()
    for batch in get_adapter().iter_products(batch_size=500):
        for info in batch:
            if needle in info.title.casefold() or needle == info.id.casefold():
                yield info
        scanned += len(batch)
        if scanned >= MAX_SCANNED:
            return


def search_products(query: str, limit: int = MAX_RESULTS) -> list[ProductInfo]:
    """Products matching `query` (title part or exact id), at most `limit`."""
    query = query.strip()[:100]
    if not query:
        return []
    adapter = get_adapter()
    search = getattr(adapter, "search_products", None)
    if search is not None:
        return list(search(query, limit))[:limit]
    found = []
    for info in _scan(query):
        found.append(info)
        if len(found) >= limit:
            break
    return found


def chooser_results(request: HttpRequest) -> HttpResponse:
    """The chooser's results for `?q=` (htmx), for users who may edit merchandising."""
    require(
        request.user,
        "personalization.add_merchandisingrule",
        "personalization.change_merchandisingrule",
    )
    query = request.GET.get("q", "")
    context = {"query": query.strip(), "products": search_products(query)}
    return TemplateResponse(request, RESULTS_TEMPLATE, context)


class ProductChooserWidget(forms.TextInput):
    """The id field, with a search box that fills it from the catalog."""

    class Media:
        js = ["personalization_plugin/htmx.min.js"]

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        field = super().render(name, value, attrs, renderer)
        chosen = None
        if value:
            try:
                chosen = get_adapter().get_products([str(value)]).get(str(value))
            except Exception:  # the store is unreachable: the id alone still works
                chosen = None
        context = {
            "field": field,
            "input_id": (attrs or {}).get("id") or f"id_{name}",
            "url": reverse("personalization_admin:product_chooser"),
            "chosen": chosen,
        }
        return mark_safe(render_to_string(WIDGET_TEMPLATE, context))
