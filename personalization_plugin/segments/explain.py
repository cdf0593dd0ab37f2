"""Why a shopper is in a segment, in words: for the privacy center and its GraphQL field.

A segment's rule tree is compiled into leaves (`Compiled.leaves`); each leaf that holds
for the shopper is a reason, told by its rule kind's translated label and parameters.
Membership itself comes from `engine.segments_for`, so the page never disagrees with
what the storefront does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from personalization_plugin.profiles import store
from personalization_plugin.profiles.profile import Profile
from personalization_plugin.segments.context import EvalContext, RequestFacts
from personalization_plugin.segments.engine import segments_for
from personalization_plugin.segments.rules import RULES

logger = logging.getLogger("personalization_plugin.segments")


@dataclass(frozen=True)
class Membership:
    """A segment the shopper is in, with the owner's description and the rules they meet."""

    slug: str
    name: str
    description: str = ""
    reasons: list[str] = field(default_factory=list)


def describe_rule(kind: str, params: dict[str, Any]) -> str:
    """One rule in words: its label, then its parameters ("At least N orders (min orders: 5)")."""
    label = str(RULES[kind].label) if kind in RULES else kind
    shown = [
        f"{name.replace('_', ' ')}: {', '.join(map(str, value)) if isinstance(value, list) else value}"
        for name, value in params.items()
        if value not in (None, "", [])
    ]
    return f"{label} ({'; '.join(shown)})" if shown else label


def _context(request: Any, visitor: Any) -> EvalContext:
    raw = None
    if visitor.can_personalize and not (visitor.is_new and not visitor.customer_id):
        raw, _version = store.load(visitor.subject)
    facts = RequestFacts.from_request(request, signed_in=bool(visitor.customer_id))
    from personalization_plugin.segments.population import current

    return EvalContext(profile=Profile(raw), request=facts, population=current())


def memberships(request: Any) -> list[Membership]:
    """The requesting shopper's segments (highest priority first), each with its reasons.

    Never raises: a failure is logged and answers [] (as membership itself does)."""
    from personalization_plugin.segments.models import Segment
    from personalization_plugin.tracking.identity import get_visitor

    defs = segments_for(request)
    if not defs:
        return []
    try:
        ctx = _context(request, get_visitor(request))
        descriptions = dict(
            Segment.objects.filter(slug__in=[d.slug for d in defs]).values_list(
                "slug", "description"
            )
        )
    except Exception:
        logger.exception("Segment reasons unavailable; listing the segments without them.")
        return [Membership(d.slug, d.name) for d in defs]
    found = []
    for seg in defs:
        reasons = []
        for kind, params, predicate in seg.compiled.leaves:
            try:
                if predicate(ctx):
                    reasons.append(describe_rule(kind, params))
            except Exception:  # a rule bug must not break the page
                logger.exception("Rule %r of segment %r failed to explain.", kind, seg.slug)
        found.append(Membership(seg.slug, seg.name, descriptions.get(seg.slug, ""), reasons))
    return found


def memberships_of(visitor: Any) -> list[Membership]:
    """A shopper's segments with their reasons, from the stored profile alone (no request:
    the staff customer page). Request rules (device, time, referrer) cannot hold here.

    Never raises: a failure is logged and answers []."""
    from personalization_plugin.segments.population import current

    try:
        defs = segments_for(visitor=visitor)
        raw = None
        if visitor.can_personalize:
            raw, _version = store.load(visitor.subject)
        ctx = EvalContext(profile=Profile(raw), request=None, population=current())
    except Exception:
        logger.exception("Segment membership unavailable for the customer page.")
        return []
    found = []
    for seg in defs:
        reasons = []
        for kind, params, predicate in seg.compiled.leaves:
            try:
                if predicate(ctx):
                    reasons.append(describe_rule(kind, params))
            except Exception:  # a rule bug must not break the page
                logger.exception("Rule %r of segment %r failed to explain.", kind, seg.slug)
        found.append(Membership(seg.slug, seg.name, "", reasons))
    return found
