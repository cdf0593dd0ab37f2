"""`{% if_segment "loyal" %}...{% else %}...{% endif_segment %}`, registered by the
`storefront_widgets` tag library.

Several slugs mean "in any of them": `{% if_segment "loyal" "big-spenders" %}`. Membership
comes from `engine.segments_for(request)` (memoised per request); without a request in
the context, or on any failure, the else branch renders. A page using it varies per
shopper: cache it per visitor or use a lazy slot instead.
"""

from __future__ import annotations

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token


class IfSegmentNode(template.Node):
    def __init__(self, slugs: list[FilterExpression], inside: NodeList, outside: NodeList) -> None:
        self.slugs = slugs
        self.nodelist_true = inside
        self.nodelist_false = outside

    def render(self, context: template.Context) -> str:
        from personalization_plugin.segments.engine import segments_for

        request = context.get("request")
        wanted = {str(s.resolve(context)) for s in self.slugs}
        member = request is not None and any(d.slug in wanted for d in segments_for(request))
        return (self.nodelist_true if member else self.nodelist_false).render(context)


def if_segment(parser: Parser, token: Token) -> IfSegmentNode:
    """`{% if_segment "slug" ["other-slug" ...] %}...[{% else %}...]{% endif_segment %}`"""
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError(
            'if_segment needs at least one segment slug: {% if_segment "loyal" %}...{% endif_segment %}'
        )
    slugs = [parser.compile_filter(b) for b in bits[1:]]
    inside = parser.parse(("else", "endif_segment"))
    outside = NodeList()
    if parser.next_token().contents == "else":
        outside = parser.parse(("endif_segment",))
        parser.delete_first_token()
    return IfSegmentNode(slugs, inside, outside)
