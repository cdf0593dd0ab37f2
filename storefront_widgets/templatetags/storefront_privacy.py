"""`{% storefront_privacy_center %}`: the shopper's privacy center, for a store's page.

Also available from `{% load storefront_widgets %}`. It renders plain forms (they work
without JavaScript) that htmx, when loaded, posts and swaps in place.
"""

from __future__ import annotations

from typing import Any

from django import template

from storefront_widgets.privacy_center import center_context

register = template.Library()


@register.inclusion_tag("storefront_widgets/privacy_center.html", takes_context=True)
def storefront_privacy_center(context: template.Context) -> dict[str, Any]:
    """What is stored (in words and as a download), segments and why, personalization
    on/off, muted categories, message switches and forget me, for the current shopper."""
    return center_context(context.get("request"))
