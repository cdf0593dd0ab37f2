"""Query and Mutation mixins a store adds to its own schema, and a ready `schema`.

    class Query(personalization_plugin.graphql.schema.Query, graphene.ObjectType): ...
    class Mutation(personalization_plugin.graphql.schema.Mutation, graphene.ObjectType): ...

and on the store's own product type, `ProductRecommendationsMixin` adds `similar` and
`boughtTogether`. Resolvers only ask serving, tracking and privacy; serving returns
display-ready products, so a list costs one batched product lookup whatever its length.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import graphene
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from graphene.utils.str_converters import to_camel_case
from graphql import GraphQLError

from personalization_plugin.core.events import STOREFRONT_FIELDS
from personalization_plugin.core.exceptions import (
    ErasureIncomplete,
    InvalidRecommendationRequest,
    PersonalizationError,
    RateLimited,
    TrackingNotAllowed,
    UnknownProduct,
)
from personalization_plugin.graphql.cookies import (  # noqa: F401  (re-exported for views)
    RESPONSE_COOKIES_ATTR,
    RESPONSE_COOKIES_DONE_ATTR,
    carry_cookies,
)
from personalization_plugin.graphql.limits import check_first
from personalization_plugin.graphql.privacy import PrivacyMutation, PrivacyQuery
from personalization_plugin.graphql.rerank import PersonalizedOrderQuery
from personalization_plugin.graphql.types import (
    MyData,
    MyDataEvent,
    PersonalizationUserError,
    RecommendationList,
    RecommendationPlacement,
    SetConsentPayload,
    TrackEventInput,
    TrackEventPayload,
)
from personalization_plugin.segments.graphql import SegmentsQuery
from personalization_plugin.serving.types import RecommendationList as ServedList

logger = logging.getLogger("personalization_plugin.graphql")

MAX_EXPORT_EVENTS = 1000


def _visitor(request: HttpRequest) -> Any:
    from personalization_plugin.tracking.identity import get_visitor

    return get_visitor(request)


def _value(enum_or_value: Any) -> str:
    return str(getattr(enum_or_value, "value", enum_or_value))


def serve(
    request: HttpRequest,
    placement: str,
    *,
    first: int | None = None,
    product_id: str | None = None,
    cart: list[str] | None = None,
    category_id: str | None = None,
    exclude: list[str] | None = None,
    fallback: str | None = None,
) -> ServedList:
    """Ask serving for one list; bad arguments become GraphQL errors, failures an empty list."""
    from personalization_plugin.serving import STAND_IN, recommend

    limit = check_first(first)
    if exclude is not None and len(exclude) > MAX_EXCLUDE:
        raise GraphQLError(
            f"exclude may name at most {MAX_EXCLUDE} products; pass only what the page shows."
        )
    try:
        return recommend(
            placement,
            visitor=_visitor(request),
            product_id=product_id or None,
            cart=list(cart) if cart else None,
            category_id=category_id or None,
            limit=limit,
            exclude=exclude or None,
            fallback=fallback or STAND_IN,
        )
    except (UnknownProduct, InvalidRecommendationRequest) as exc:
        raise GraphQLError(str(exc)) from exc
    except Exception:
        logger.exception(
            "Serving failed for placement %r; answering with an empty list.", placement
        )
        return ServedList(placement=placement, model_version="", recommendation_id="", items=[])


MAX_EXCLUDE = 200
FIRST_DESCRIPTION = (
    "How many items (default 8, at most PERSONALIZATION['GRAPHQL_MAX_FIRST'], 50 by default)."
)


class Query(SegmentsQuery, PrivacyQuery, PersonalizedOrderQuery):
    """Mixin: read-only personalization fields for a store's root Query type."""

    recommendations = graphene.Field(
        RecommendationList,
        required=True,
        placement=graphene.Argument(
            RecommendationPlacement, required=True, description="Which list."
        ),
        product_id=graphene.Argument(
            graphene.ID, description="The product on screen (similar, bought_together)."
        ),
        cart=graphene.Argument(
            graphene.List(graphene.NonNull(graphene.ID)),
            description="Product ids in the cart (cart placement).",
        ),
        category_id=graphene.Argument(
            graphene.ID, description="Restrict to a category (trending, category_top)."
        ),
        first=graphene.Argument(graphene.Int, description=FIRST_DESCRIPTION),
        exclude=graphene.Argument(
            graphene.List(graphene.NonNull(graphene.ID)),
            description=(
                "Product ids the page already shows (other lists): never in this one. "
                "Ask for a page's lists most specific first and pass each one's ids on."
            ),
        ),
        fallback=graphene.Argument(
            graphene.String,
            description=(
                "What fills the list when the placement's own sources have too little: "
                '"stand_in" (default: trending, popular, new arrivals, the catalog), "none" '
                "(the list may be short or empty) or another placement's name. The list's "
                "`source` and `title` say what actually filled it."
            ),
        ),
        description="A recommendation list for the current shopper and a placement.",
    )
    my_data = graphene.Field(
        MyData,
        required=True,
        first=graphene.Argument(
            graphene.Int,
            description=f"How many events to list, newest first (at most {MAX_EXPORT_EVENTS}).",
        ),
        description="The current shopper's own data (export). Always the requester's: it takes no id.",
    )

    intake_token = graphene.String(
        description="The current visitor's intake token, for trackEvent(input: {token}); "
        "null when the shopper may not be tracked (no consent, opted out)."
    )

    @staticmethod
    def resolve_intake_token(root: Any, info: Any) -> str | None:
        from personalization_plugin.tracking.tokens import intake_token

        visitor = _visitor(info.context)
        return intake_token(visitor) if visitor.can_track else None

    @staticmethod
    def resolve_recommendations(root: Any, info: Any, placement: Any, **kwargs: Any) -> ServedList:
        return serve(info.context, _value(placement), **kwargs)

    @staticmethod
    def resolve_my_data(root: Any, info: Any, first: int | None = 100) -> dict[str, Any]:
        return export_current_shopper(info.context, first)


def export_current_shopper(request: HttpRequest, first: int | None) -> dict[str, Any]:
    """The requesting shopper's export (`privacy.export.export_subject`), never anyone else's."""
    from personalization_plugin.privacy.export import export_subject

    count = 100 if first is None else first
    if not 0 <= count <= MAX_EXPORT_EVENTS:
        raise GraphQLError(f"first must be between 0 and {MAX_EXPORT_EVENTS}, got {count}.")
    visitor = _visitor(request)
    if visitor.is_new and not visitor.customer_id:
        data: dict[str, Any] = {"subjects": [], "events": [], "realtime": {}, "consent": []}
    else:
        data = export_subject(
            visitor_id=None if visitor.is_new else visitor.visitor_id,
            customer_id=visitor.customer_id or None,
        )
    rows = list(reversed(data["events"]))
    realtime = data.get("realtime", {}).get(visitor.subject) or {}
    return {
        "visitor_id": visitor.visitor_id,
        "customer_id": visitor.customer_id,
        "consent": visitor.consent,
        "event_count": len(rows),
        "events": [
            MyDataEvent(
                type=row["type"],
                product_id=row["product_id"],
                category_id=row["category_id"],
                query=row["query"],
                placement=row["placement"],
                occurred_at=datetime.fromisoformat(row["occurred_at"]),
            )
            for row in rows[:count]
        ],
        "recently_viewed": list(realtime.get("recently_viewed") or []),
        "export": data,
    }


class ProductRecommendationsMixin:
    """Mixin for a store's own product type: `similar(first)` and `boughtTogether(first)`.

    The product id is `str(root.pk)` (or `root.id`); override the static method
    `personalization_product_id(root)` on your type for another mapping.
    """

    similar = graphene.Field(
        RecommendationList,
        required=True,
        first=graphene.Argument(graphene.Int, description=FIRST_DESCRIPTION),
        description="Products like this one.",
    )
    bought_together = graphene.Field(
        RecommendationList,
        required=True,
        first=graphene.Argument(graphene.Int, description=FIRST_DESCRIPTION),
        description="Products often bought with this one.",
    )

    @staticmethod
    def personalization_product_id(root: Any) -> str:
        pk = getattr(root, "pk", None)
        return str(pk if pk is not None else root.id)

    @staticmethod
    def _product_id(root: Any, info: Any) -> str:
        graphene_type = getattr(info.parent_type, "graphene_type", None)
        mapper = getattr(graphene_type, "personalization_product_id", None)
        if mapper is None:
            mapper = ProductRecommendationsMixin.personalization_product_id
        return mapper(root)

    @staticmethod
    def resolve_similar(root: Any, info: Any, first: int | None = None) -> ServedList:
        product_id = ProductRecommendationsMixin._product_id(root, info)
        return serve(info.context, "similar", first=first, product_id=product_id)

    @staticmethod
    def resolve_bought_together(root: Any, info: Any, first: int | None = None) -> ServedList:
        product_id = ProductRecommendationsMixin._product_id(root, info)
        return serve(info.context, "bought_together", first=first, product_id=product_id)


def _error(message: str, code: str, field: str | None = None) -> PersonalizationUserError:
    return PersonalizationUserError(field=field, message=message, code=code)


# The storefront's fields of the event schema, by the name a GraphQL client knows them.
_INPUT_FIELDS = {name: to_camel_case(name) for name in STOREFRONT_FIELDS}


def _field_of(message: str) -> str | None:
    for name, graphql_name in _INPUT_FIELDS.items():
        if name in message:
            return graphql_name
    return None


class TrackEvent(graphene.Mutation):
    """Record one shopper event (view, category_view, search, cart_add, cart_remove,
    impression, click) for the current visitor. Input problems come back in `errors`."""

    class Arguments:
        input = TrackEventInput(required=True, description="The event.")

    Output = TrackEventPayload

    @staticmethod
    def mutate(root: Any, info: Any, input: Any) -> TrackEventPayload:
        # The browser endpoint's intake: same consent, token, screening, limits, validation.
        from personalization_plugin.tracking.intake import receive

        raw = {name: input.get(name) for name in STOREFRONT_FIELDS if input.get(name) is not None}
        raw["type"] = _value(input.get("type"))
        try:
            received = receive(info.context, [raw], input.get("token"))
        except RateLimited as exc:
            return TrackEventPayload(recorded=False, errors=[_error(str(exc), "RATE_LIMITED")])
        except TrackingNotAllowed as exc:  # InvalidIntakeToken among them
            return TrackEventPayload(recorded=False, errors=[_error(str(exc), "NOT_ALLOWED")])
        except (PersonalizationError, ValueError, TypeError) as exc:
            return TrackEventPayload(
                recorded=False, errors=[_error(str(exc), "INVALID", _field_of(str(exc)))]
            )
        except Exception:
            logger.exception("trackEvent failed; the event was not recorded.")
            return TrackEventPayload(
                recorded=False,
                errors=[
                    _error("The event could not be recorded now; try again later.", "UNAVAILABLE")
                ],
            )
        if not received.tracking or not (received.events or received.errors):
            message = "Not recorded: the shopper has not consented to tracking or has opted out."
            return TrackEventPayload(recorded=False, errors=[_error(message, "NOT_ALLOWED")])
        if received.errors:
            message = received.errors[0]["error"]
            return TrackEventPayload(
                recorded=False, errors=[_error(message, "INVALID", _field_of(message))]
            )
        return TrackEventPayload(recorded=True, event_id=received.events[0].event_id, errors=[])


class SetConsent(graphene.Mutation):
    """Record the current shopper's consent choice (sets the consent cookie)."""

    class Arguments:
        granted = graphene.Boolean(
            required=True, description="True to allow personalization, false to decline."
        )

    Output = SetConsentPayload

    @staticmethod
    def mutate(root: Any, info: Any, granted: bool) -> SetConsentPayload:
        from personalization_plugin.privacy.consent import set_consent

        request = info.context
        carrier = HttpResponse()
        try:
            set_consent(request, carrier, granted)
        except ErasureIncomplete as exc:  # the opt-out is recorded; the erasure must be retried
            logger.error("setConsent: the erasure did not finish: %s", exc)
            return SetConsentPayload(
                consent="denied",
                errors=[
                    _error(
                        gettext(
                            "Your opt-out is recorded, but erasing your data could not finish "
                            "because a service is unavailable. Please try again in a minute."
                        ),
                        "ERASURE_INCOMPLETE",
                    )
                ],
            )
        except Exception:
            logger.exception("setConsent failed; the choice was not recorded.")
            return SetConsentPayload(
                consent="unknown",
                errors=[
                    _error("The choice could not be recorded now; try again later.", "UNAVAILABLE")
                ],
            )
        carry_cookies(request, carrier)
        return SetConsentPayload(consent="granted" if granted else "denied", errors=[])


class Mutation(PrivacyMutation):
    """Mixin: personalization mutations for a store's root Mutation type."""

    track_event = TrackEvent.Field(description=TrackEvent.__doc__)
    set_consent = SetConsent.Field(description=SetConsent.__doc__)


class _Query(Query, graphene.ObjectType):
    class Meta:
        name = "Query"
        description = "Personalization queries."


class _Mutation(Mutation, graphene.ObjectType):
    class Meta:
        name = "Mutation"
        description = "Personalization mutations."


schema = graphene.Schema(query=_Query, mutation=_Mutation)
