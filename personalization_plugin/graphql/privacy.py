"""GraphQL parity with the privacy center: `myPrivacy`, `setCategoryMuted`,
`setMessageEnabled` and `forgetMe`, mixed into the plugin's Query and Mutation.

They answer for the requester only (no shopper id is taken) and run the page's code
paths: `privacy.summary`, `segments.explain`, `privacy.preferences`, and erasure through
`privacy.consent.set_consent` (as `forget-me/` and `setConsent(granted: false)` do).
"""

from __future__ import annotations

import logging
from typing import Any

import graphene
from django.http import HttpRequest, HttpResponse

from personalization_plugin.graphql.types import PersonalizationUserError

logger = logging.getLogger("personalization_plugin.graphql")


class SegmentMembership(graphene.ObjectType):
    """A segment the shopper is in, and why."""

    slug = graphene.String(required=True, description="Stable identifier, e.g. 'loyal'.")
    name = graphene.String(required=True, description="Display name.")
    description = graphene.String(required=True, description="The owner's description, or empty.")
    reasons = graphene.List(
        graphene.NonNull(graphene.String),
        required=True,
        description="The segment's rules this shopper meets, in words.",
    )


class MessageSwitch(graphene.ObjectType):
    """One kind of outgoing message (trigger) and whether the shopper wants it."""

    kind = graphene.String(
        required=True, description="abandoned_cart, browse_abandonment, win_back."
    )
    label = graphene.String(required=True, description="The kind in words.")
    description = graphene.String(required=True, description="When it is sent, in words.")
    enabled = graphene.Boolean(required=True, description="False: the shopper switched it off.")


class MyPrivacy(graphene.ObjectType):
    """What the privacy center shows the current shopper."""

    personalization = graphene.Boolean(
        required=True, description="Whether recommendations may use this shopper's history now."
    )
    consent = graphene.String(required=True, description='"granted", "denied" or "unknown".')
    summary = graphene.List(
        graphene.NonNull(graphene.String),
        required=True,
        description="What is stored about the shopper, in sentences (the download is myData.export).",
    )
    segments = graphene.List(
        graphene.NonNull(SegmentMembership),
        required=True,
        description="The shopper's segments with reasons (empty while personalization is off).",
    )
    muted_categories = graphene.List(
        graphene.NonNull(graphene.ID),
        required=True,
        description="Category ids the shopper asked not to be recommended.",
    )
    messages = graphene.List(
        graphene.NonNull(MessageSwitch), required=True, description="Per-message-type switches."
    )


class PreferencesPayload(graphene.ObjectType):
    """Result of setCategoryMuted and setMessageEnabled: the shopper's preferences now."""

    muted_categories = graphene.List(
        graphene.NonNull(graphene.ID), required=True, description="Muted category ids now."
    )
    messages = graphene.List(
        graphene.NonNull(MessageSwitch), required=True, description="The switches now."
    )
    errors = graphene.List(
        graphene.NonNull(PersonalizationUserError), required=True, description="Empty on success."
    )


class ForgetMePayload(graphene.ObjectType):
    """Result of forgetMe."""

    erased_events = graphene.Int(required=True, description="How many stored events were deleted.")
    consent = graphene.String(required=True, description='"denied" once done, else unchanged.')
    errors = graphene.List(
        graphene.NonNull(PersonalizationUserError), required=True, description="Empty on success."
    )


def _visitor(request: HttpRequest) -> Any:
    from personalization_plugin.tracking.identity import get_visitor

    return get_visitor(request)


def _export(visitor: Any) -> dict[str, Any]:
    """The requester's export (`privacy.export`), as myData and the download serve it."""
    from personalization_plugin.privacy.export import export_subject

    if visitor.is_new and not visitor.customer_id:
        return {"events": [], "realtime": {}, "consent": [], "preferences": []}
    return export_subject(
        visitor_id=None if visitor.is_new else visitor.visitor_id,
        customer_id=visitor.customer_id or None,
    )


def _switches(muted: frozenset[str]) -> list[MessageSwitch]:
    from personalization_plugin.privacy.preferences import MESSAGE_KINDS

    return [
        MessageSwitch(
            kind=m.kind, label=str(m.label), description=str(m.help), enabled=m.kind not in muted
        )
        for m in MESSAGE_KINDS
    ]


def _error(message: str, code: str, field: str | None = None) -> PersonalizationUserError:
    return PersonalizationUserError(field=field, message=message, code=code)


class PrivacyQuery:
    """Mixin for the root Query type."""

    my_privacy = graphene.Field(
        MyPrivacy,
        required=True,
        description="The current shopper's privacy center. Always the requester's: it takes no id.",
    )

    @staticmethod
    def resolve_my_privacy(root: Any, info: Any) -> MyPrivacy:
        from personalization_plugin.privacy.preferences import preferences_for
        from personalization_plugin.privacy.summary import describe
        from personalization_plugin.segments.explain import memberships

        request = info.context
        visitor = _visitor(request)
        export = _export(visitor)
        prefs = preferences_for(visitor.subjects)
        segments = memberships(request) if visitor.can_personalize else []
        return MyPrivacy(
            personalization=visitor.can_personalize,
            consent=visitor.consent,
            summary=describe(export),
            segments=[
                SegmentMembership(
                    slug=m.slug, name=m.name, description=m.description, reasons=m.reasons
                )
                for m in segments
            ],
            muted_categories=sorted(prefs.muted_categories),
            messages=_switches(prefs.muted_messages),
        )


def _preferences_payload(change: Any, field: str) -> PreferencesPayload:
    from personalization_plugin.privacy.preferences import InvalidPreference

    try:
        prefs = change()
    except InvalidPreference as exc:
        return PreferencesPayload(
            muted_categories=[], messages=[], errors=[_error(str(exc), "INVALID", field)]
        )
    except Exception:
        logger.exception("A privacy preference could not be stored.")
        return PreferencesPayload(
            muted_categories=[],
            messages=[],
            errors=[_error("The choice could not be stored now; try again later.", "UNAVAILABLE")],
        )
    return PreferencesPayload(
        muted_categories=sorted(prefs.muted_categories),
        messages=_switches(prefs.muted_messages),
        errors=[],
    )


class SetCategoryMuted(graphene.Mutation):
    """Stop (muted: true) or resume recommending a category to the current shopper."""

    class Arguments:
        category_id = graphene.ID(required=True, description="The category's id.")
        muted = graphene.Boolean(required=True, description="True: show me less of it.")

    Output = PreferencesPayload

    @staticmethod
    def mutate(root: Any, info: Any, category_id: str, muted: bool) -> PreferencesPayload:
        from personalization_plugin.privacy.preferences import set_category_muted

        visitor = _visitor(info.context)
        return _preferences_payload(
            lambda: set_category_muted(visitor, category_id, muted), "categoryId"
        )


class SetMessageEnabled(graphene.Mutation):
    """Switch one kind of outgoing message on or off for the current (signed-in) shopper."""

    class Arguments:
        kind = graphene.String(
            required=True, description="abandoned_cart, browse_abandonment or win_back."
        )
        enabled = graphene.Boolean(required=True, description="False: do not send it to me.")

    Output = PreferencesPayload

    @staticmethod
    def mutate(root: Any, info: Any, kind: str, enabled: bool) -> PreferencesPayload:
        from personalization_plugin.privacy.preferences import set_message_enabled

        visitor = _visitor(info.context)
        return _preferences_payload(lambda: set_message_enabled(visitor, kind, enabled), "kind")


class ForgetMe(graphene.Mutation):
    """Erase everything stored about the current shopper and stop personalizing (the same
    as forget-me/ and setConsent(granted: false))."""

    Output = ForgetMePayload

    @staticmethod
    def mutate(root: Any, info: Any) -> ForgetMePayload:
        from personalization_plugin.graphql.cookies import carry_cookies
        from personalization_plugin.privacy.consent import set_consent

        request = info.context
        carrier = HttpResponse()
        try:
            report = set_consent(request, carrier, False)
        except Exception:
            logger.exception("forgetMe did not finish.")
            return ForgetMePayload(
                erased_events=0,
                consent=_visitor(request).consent,
                errors=[
                    _error("Erasing could not finish now; try again in a minute.", "UNAVAILABLE")
                ],
            )
        carry_cookies(request, carrier)
        return ForgetMePayload(
            erased_events=int(report.get("events", 0)), consent="denied", errors=[]
        )


class PrivacyMutation:
    """Mixin for the root Mutation type."""

    set_category_muted = SetCategoryMuted.Field(description=SetCategoryMuted.__doc__)
    set_message_enabled = SetMessageEnabled.Field(description=SetMessageEnabled.__doc__)
    forget_me = ForgetMe.Field(description=ForgetMe.__doc__)
