"""GraphQL: `mySegments` and `personalizedSlot(name)`, mixed into the plugin's Query.

Both answer for the requester only (they take no shopper id) and use the same engine and
slot rendering as the templates, so a headless homepage gets what the template would.
"""

from __future__ import annotations

from typing import Any

import graphene
from graphql import GraphQLError


class ShopperSegment(graphene.ObjectType):
    """A segment the current shopper is in."""

    slug = graphene.String(required=True, description="Stable identifier, e.g. 'loyal'.")
    name = graphene.String(required=True, description="Display name.")
    priority = graphene.Int(required=True, description="Higher wins when variants compete.")


class PersonalizedSlot(graphene.ObjectType):
    """The variant of a named 'Content per segment' block chosen for the current shopper."""

    name = graphene.String(required=True, description="The slot name.")
    segment = graphene.String(
        description="Slug of the segment whose variant was chosen; null: default."
    )
    html = graphene.String(required=True, description="The chosen content, rendered.")


class SegmentsQuery:
    """Mixin for the root Query type."""

    my_segments = graphene.List(
        graphene.NonNull(ShopperSegment),
        required=True,
        description="The current shopper's segments, highest priority first.",
    )
    personalized_slot = graphene.Field(
        PersonalizedSlot,
        required=True,
        name=graphene.Argument(
            graphene.String, required=True, description="Slot name set on the block."
        ),
        description="The content variant a named slot shows the current shopper.",
    )

    @staticmethod
    def resolve_my_segments(root: Any, info: Any) -> list[ShopperSegment]:
        from personalization_plugin.segments.engine import segments_for

        return [
            ShopperSegment(slug=d.slug, name=d.name, priority=d.priority)
            for d in segments_for(info.context)
        ]

    @staticmethod
    def resolve_personalized_slot(root: Any, info: Any, name: str) -> PersonalizedSlot:
        from personalization_plugin.core.exceptions import UnknownSlot
        from personalization_plugin.segments.slots import render_slot

        try:
            slug, html = render_slot(name, info.context)
        except UnknownSlot as exc:
            raise GraphQLError(str(exc)) from exc
        return PersonalizedSlot(name=name, segment=slug, html=html)
