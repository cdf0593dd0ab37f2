"""`{% load storefront_ranking %}`: a category or search page's products in the shopper's order.

    {% personalized_order products as ordered %}
    {% personalized_order page_obj.object_list context="category:"|add:category.slug as ordered %}
    {% for product in ordered %}...{% endfor %}

`products` is what the page would show anyway (a list or queryset of products, or of
product ids); the tag hands back the same objects re-ordered by `serving.rerank`, minus
any the owner's merchandising excludes. It never breaks a storefront page: on any
failure (too many products, a broken model, Redis down) it logs and gives the input
back in its own order.
"""

from __future__ import annotations

import logging
from typing import Any

from django import template

from personalization_plugin.serving import rerank
from storefront_widgets.rendering import get_visitor_for

logger = logging.getLogger("storefront_widgets")
register = template.Library()


def product_id(item: Any) -> str:
    """The id serving knows a product by: a model instance's pk, else the item itself."""
    return str(getattr(item, "pk", item))


@register.simple_tag(takes_context=True)
def personalized_order(context: template.Context, products: Any, **options: Any) -> list[Any]:
    """The products in this shopper's order (a list, whatever `products` was).

    Options: `context=` names the listing ("category:<id>", "search"), which picks the
    merchandising rules and keeps the order stable per listing; `relevance=` passes the
    search engine's score per product, in the same order."""
    items = list(products or ())
    if not items:
        return items
    try:
        by_id = {product_id(item): item for item in items}
        result = rerank(
            [product_id(item) for item in items],
            get_visitor_for(context.get("request")),
            options.get("context"),
            relevance=options.get("relevance"),
        )
        return [by_id[pid] for pid in result.ids]
    except Exception:
        logger.exception("Could not re-rank %d products; showing the store's order.", len(items))
        return items
