"""`personalizedOrder(ids: [ID!]!, context: String)`: a storefront's own list re-ranked.

A headless storefront (Saleor's, say) gets a category page or search results from its
own backend, then asks for the current shopper's order of those ids:

    query { personalizedOrder(ids: ["12", "7", "31"], context: "search") {
              ids moved { productId before after reasonCode reason } } }

Bad input (too many ids, an id listed twice, a bad `relevance`) is a GraphQL error
saying what to send; any other failure answers with the ids in the order given.
"""

from __future__ import annotations

import logging
from typing import Any

import graphene
from graphql import GraphQLError

from personalization_plugin.core.exceptions import InvalidRecommendationRequest
from personalization_plugin.serving import Reranked, rerank

logger = logging.getLogger("personalization_plugin.graphql")


class MovedProduct(graphene.ObjectType):
    """A product whose position changed, and why."""

    product_id = graphene.ID(required=True, description="The product that moved.")
    before = graphene.Int(
        required=True, description="1-based position given (after exclusions left)."
    )
    after = graphene.Int(required=True, description="1-based position in the answer.")
    reason_code = graphene.String(
        required=True,
        description="pinned, boosted, viewed, viewed_with, bought_with, recently_viewed, "
        "buried or displaced.",
    )
    reason = graphene.String(required=True, description="The reason, readable by the shopper.")


class PersonalizedOrder(graphene.ObjectType):
    """The ids in the current shopper's order."""

    ids = graphene.List(
        graphene.NonNull(graphene.ID), required=True, description="The ids, re-ordered."
    )
    moved = graphene.List(
        graphene.NonNull(MovedProduct),
        required=True,
        description="Every product whose position changed, with its reason.",
    )
    excluded = graphene.List(
        graphene.NonNull(graphene.ID),
        required=True,
        description="Ids the store's merchandising rules leave out.",
    )
    personalized = graphene.Boolean(
        required=True, description="Whether the shopper's own history shaped the order."
    )
    model_version = graphene.String(
        required=True, description='The model that shaped the order ("" when none did).'
    )

    @staticmethod
    def resolve_moved(root: Reranked, info: Any) -> list[Any]:
        return list(root.moved.values())


class PersonalizedOrderQuery:
    """Mixin for the root Query: `personalizedOrder`."""

    personalized_order = graphene.Field(
        PersonalizedOrder,
        required=True,
        ids=graphene.Argument(
            graphene.List(graphene.NonNull(graphene.ID)),
            required=True,
            description="Product ids in the store's order (at most 1000).",
        ),
        context=graphene.Argument(
            graphene.String,
            description='Where the list is shown: "category:<id>", "search" or a short label.',
        ),
        relevance=graphene.Argument(
            graphene.List(graphene.NonNull(graphene.Float)),
            description="The search engine's score per id, in the same order.",
        ),
        description="The current shopper's order of a list the storefront already has.",
    )

    @staticmethod
    def resolve_personalized_order(
        root: Any,
        info: Any,
        ids: list[str],
        context: str | None = None,
        relevance: list[float] | None = None,
    ) -> Reranked:
        from personalization_plugin.tracking.identity import get_visitor

        try:
            return rerank(
                [str(i) for i in ids], get_visitor(info.context), context, relevance=relevance
            )
        except InvalidRecommendationRequest as exc:
            raise GraphQLError(str(exc)) from exc
        except Exception:
            logger.exception("Re-ranking %d ids failed; answering in the order given.", len(ids))
            return Reranked(ids=[str(i) for i in ids])
