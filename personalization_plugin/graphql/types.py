"""GraphQL object types for recommendations, tracking, consent and the data export.

Names are prefixed where a store's own schema likely has the plain name (a store has
its own `Product`), so the mixins merge into any schema without clashes.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import graphene

from personalization_plugin.core.events import STOREFRONT_EVENTS, EventType
from personalization_plugin.core.placements import Placement


def _placement_description(member: Enum | None) -> str:
    """Graphene asks once per value (its documentation) and once with None (the enum's)."""
    if member is None:
        return "Where a list is shown; each placement is answered by a different strategy."
    return Placement(member.value).description


# A plain Enum copy of Placement (same member names and values): graphene iterates an
# enum with `enum.__iter__()`, which on a StrEnum finds str's method instead of Enum's.
RecommendationPlacement = graphene.Enum.from_enum(
    Enum("RecommendationPlacement", [(p.name, p.value) for p in Placement]),
    description=_placement_description,
)


EVENT_DESCRIPTIONS = {
    EventType.VIEW: "A product page was viewed (needs productId).",
    EventType.CATEGORY_VIEW: "A category page was viewed (needs categoryId).",
    EventType.SEARCH: "A search was made (needs query).",
    EventType.CART_ADD: "A product was added to the cart (needs productId).",
    EventType.CART_REMOVE: "A product was removed from the cart (needs productId).",
    EventType.IMPRESSION: "A recommended product was seen "
    "(needs productId, placement, position, recommendationId).",
    EventType.CLICK: "A recommended product was clicked "
    "(needs productId, placement, position, recommendationId).",
}


def _event_description(member: Enum | None) -> str:
    if member is None:
        return "What the shopper did. Checkouts and purchases come from the store's order code."
    return EVENT_DESCRIPTIONS[EventType(member.value)]


# Exactly what a storefront may send (core.events), in EventType's order.
TrackEventType = graphene.Enum.from_enum(
    Enum("TrackEventType", [(e.name, e.value) for e in EventType if e in STOREFRONT_EVENTS]),
    description=_event_description,
)


class RecommendedProduct(graphene.ObjectType):
    """A product as the store adapter describes it, ready to display."""

    id = graphene.ID(required=True, description="The store's product id.")
    title = graphene.String(required=True, description="Display title.")
    url = graphene.String(required=True, description="Link to the product page (may be relative).")
    price = graphene.Decimal(description="Price as a decimal string; null when unknown.")
    currency = graphene.String(required=True, description="ISO 4217 code, or empty.")
    image_url = graphene.String(required=True, description="Image URL, or empty.")
    in_stock = graphene.Boolean(required=True, description="Whether it can be bought now.")


class Recommendation(graphene.ObjectType):
    """One recommended product with the reason shown to the shopper."""

    product_id = graphene.ID(required=True, description="Id of the recommended product.")
    score = graphene.Float(
        required=True,
        description="Relevance score; higher is better, only comparable within one list.",
    )
    reason = graphene.String(
        required=True, description='Readable reason, e.g. "Because you viewed Oak Chair".'
    )
    reason_code = graphene.String(
        required=True,
        description="Machine-readable reason (viewed, bought_with, trending, popular, similar, new, pinned, recently_viewed, category_top, discovery, viewed_with, bought_next, buy_again).",
    )
    position = graphene.Int(
        required=True, description="1-based position; quote it in impression and click events."
    )
    product = graphene.Field(
        RecommendedProduct, required=True, description="The product, display-ready."
    )

    @staticmethod
    def resolve_product_id(root: Any, info: Any) -> str:
        return str(root.product.id)


class RecommendationList(graphene.ObjectType):
    """One placement's list. Quote `recommendationId`, `placement`, `modelVersion` and
    each item's `position` back in impression and click events for attribution."""

    placement = graphene.String(required=True, description="The placement this list answers.")
    model_version = graphene.String(
        required=True,
        description="Model that produced the list; empty when only fallbacks were used.",
    )
    recommendation_id = graphene.String(
        required=True, description="Id of this response, for attribution."
    )
    items = graphene.List(
        graphene.NonNull(Recommendation), required=True, description="Best first."
    )
    source = graphene.String(
        required=True,
        description=(
            "Which list actually filled this one: the placement itself, the fallback "
            'placement asked for, or a stand-in ("trending", "popular", "new_arrivals", '
            '"catalog"); empty when there are no items.'
        ),
    )
    title = graphene.String(
        required=True,
        description=(
            "A heading that says what the list really is, in the request's language "
            '(never "Picked for you" over a list that is not personal).'
        ),
    )
    explanation = graphene.String(
        required=True,
        description=(
            'How the list was made, for a "Why these products?" note; names only the '
            "shopper's own products. Empty when there are no items."
        ),
    )

    @staticmethod
    def resolve_source(root: Any, info: Any) -> str:
        return str(getattr(root, "source", "") or "")

    @staticmethod
    def resolve_title(root: Any, info: Any) -> str:
        title = getattr(root, "title", None)
        return str(title) if title is not None else ""

    @staticmethod
    def resolve_explanation(root: Any, info: Any) -> str:
        return str(getattr(root, "explanation", "") or "")


class PersonalizationUserError(graphene.ObjectType):
    """A problem with the input, reported in the payload instead of failing the request."""

    field = graphene.String(description="The input field at fault, if one is.")
    message = graphene.String(required=True, description="What was wrong and what to do.")
    code = graphene.String(
        required=True, description="INVALID, NOT_ALLOWED, RATE_LIMITED or UNAVAILABLE."
    )


class TrackEventInput(graphene.InputObjectType):
    """One shopper event from a headless storefront."""

    type = TrackEventType(required=True, description="What happened.")
    product_id = graphene.ID(
        description="Required for view, cart_add, cart_remove, impression and click."
    )
    category_id = graphene.ID(description="Required for category_view.")
    query = graphene.String(description="Required for search: the search text.")
    quantity = graphene.Int(description="For cart events; defaults to 1.")
    placement = graphene.String(description="For impression/click: the list's placement.")
    model_version = graphene.String(description="For impression/click: the list's modelVersion.")
    recommendation_id = graphene.String(
        description="For impression/click: the list's recommendationId."
    )
    position = graphene.Int(description="For impression/click: the item's 1-based position.")
    token = graphene.String(
        description="The visitor's intake token (the intakeToken query, or the page's "
        "data-sp-token); without it the event is refused with NOT_ALLOWED."
    )


class TrackEventPayload(graphene.ObjectType):
    """Result of trackEvent."""

    recorded = graphene.Boolean(
        required=True, description="Whether the event was accepted for storage."
    )
    event_id = graphene.String(description="Id of the stored event, when recorded.")
    errors = graphene.List(
        graphene.NonNull(PersonalizationUserError),
        required=True,
        description="Why the event was not recorded; empty on success.",
    )


class SetConsentPayload(graphene.ObjectType):
    """Result of setConsent."""

    consent = graphene.String(
        required=True, description='The shopper\'s choice now: "granted", "denied" or "unknown".'
    )
    errors = graphene.List(
        graphene.NonNull(PersonalizationUserError), required=True, description="Empty on success."
    )


class MyDataEvent(graphene.ObjectType):
    """One stored event of the current shopper."""

    type = graphene.String(required=True, description="Event type.")
    product_id = graphene.String(required=True, description="Product, or empty.")
    category_id = graphene.String(required=True, description="Category, or empty.")
    query = graphene.String(required=True, description="Search text, or empty.")
    placement = graphene.String(
        required=True, description="Placement of a clicked or seen recommendation, or empty."
    )
    occurred_at = graphene.DateTime(required=True, description="When it happened.")


class MyData(graphene.ObjectType):
    """Everything the plugin holds about the current shopper (their data export)."""

    visitor_id = graphene.String(
        required=True, description="The pseudonymous id in this browser's cookie."
    )
    customer_id = graphene.String(
        required=True, description="The signed-in customer's id, or empty."
    )
    consent = graphene.String(required=True, description='"granted", "denied" or "unknown".')
    event_count = graphene.Int(
        required=True, description="How many stored events there are in total."
    )
    events = graphene.List(
        graphene.NonNull(MyDataEvent),
        required=True,
        description="Stored events, newest first (at most `first`).",
    )
    export = graphene.JSONString(
        required=True,
        description="The complete export document (subjects, events, real-time state, consent), as served by the my-data download.",
    )
    recently_viewed = graphene.List(
        graphene.NonNull(graphene.String),
        required=True,
        description="Recently viewed product ids, newest first.",
    )
