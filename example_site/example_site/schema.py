"""The demo store's GraphQL schema: its own product type plus the plugin's mixins.

This is how any store adds personalization to an existing schema: inherit the plugin's
`Query`/`Mutation` mixins on the root types, and `ProductRecommendationsMixin` on the
store's product type for `similar` and `boughtTogether`.
"""

from __future__ import annotations

from typing import Any

import graphene
from graphene_django import DjangoObjectType
from shop.models import Product

from personalization_plugin.graphql import schema as personalization


class ShopProduct(personalization.ProductRecommendationsMixin, DjangoObjectType):
    """A product of the demo store."""

    url = graphene.String(required=True, description="Product page path.")

    class Meta:
        model = Product
        name = "ShopProduct"
        fields = ("id", "title", "slug", "description", "price", "currency")
        description = "A product of the demo store."

    @staticmethod
    def resolve_url(root: Product, info: Any) -> str:
        return root.get_absolute_url()


class Query(personalization.Query, graphene.ObjectType):
    """The demo store's queries."""

    product = graphene.Field(
        ShopProduct,
        id=graphene.ID(required=True, description="Product id."),
        description="One published product by id, or null.",
    )

    @staticmethod
    def resolve_product(root: Any, info: Any, id: str) -> Product | None:
        if not str(id).isdigit():
            return None
        return Product.objects.published().filter(pk=int(id)).first()


class Mutation(personalization.Mutation, graphene.ObjectType):
    """The demo store's mutations."""


schema = graphene.Schema(query=Query, mutation=Mutation)
