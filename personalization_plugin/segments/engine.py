"""Membership: which segments the current shopper is in, from cached state only.

Per request: one cache read (profile + definition version, one Redis MGET), then each
enabled segment's compiled closure. Definitions are compiled once per process and
recompiled when the version changes (any save/delete) or after SEGMENT_CACHE_SECONDS.
The result is memoised on the request, so a page with several segment blocks, the
template tag and the GraphQL fields all agree and pay once.

Shoppers who may not be personalized (opted out, no consent when it is required) are
evaluated with an empty profile: only request-context rules can match them, nothing
stored about them is read.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.core.exceptions import InvalidRuleTree
from personalization_plugin.profiles import store
from personalization_plugin.profiles.profile import Profile
from personalization_plugin.segments.context import EvalContext, RequestFacts
from personalization_plugin.segments.rules import Compiled, compile_tree

logger = logging.getLogger("personalization_plugin.segments")

PREVIEW_PARAM = "sp_preview_segment"
REQUEST_ATTR = "_personalization_segments"


@dataclass(frozen=True)
class SegmentDef:
    """An enabled segment, compiled."""

    slug: str
    name: str
    priority: int
    compiled: Compiled


_lock = threading.Lock()
_defs: dict[str, Any] = {"version": None, "until": 0.0, "list": []}


def definitions(version: str | None = None) -> list[SegmentDef]:
    """Enabled segments in priority order (highest first, then slug), compiled."""
    now = time.monotonic()
    version = version if version is not None else store.version()
    with _lock:
        if _defs["version"] == version and _defs["until"] > now:
            return _defs["list"]
    from personalization_plugin.segments.models import Segment

    compiled: list[SegmentDef] = []
    for seg in Segment.objects.filter(enabled=True).order_by("-priority", "slug"):
        try:
            compiled.append(SegmentDef(seg.slug, seg.name, seg.priority, compile_tree(seg.rules)))
        except InvalidRuleTree as exc:  # only possible for rows written around save()
            logger.error("Segment %r skipped: %s", seg.slug, exc)
    with _lock:
        _defs.update(
            version=version,
            until=now + float(plugin_settings.SEGMENT_CACHE_SECONDS),
            list=compiled,
        )
    return compiled


def forget_definitions() -> None:
    with _lock:
        _defs.update(version=None, until=0.0, list=[])


def _score_models() -> dict[str, Any]:
    from personalization_plugin.scores.model import active_models

    return active_models()


def evaluate(
    raw: dict[str, Any] | None,
    defs: list[SegmentDef],
    *,
    request: RequestFacts | None = None,
    now: datetime | None = None,
) -> list[SegmentDef]:
    """The segments (of `defs`, in their order) a raw profile matches."""
    from personalization_plugin.segments.population import current

    ctx = EvalContext(profile=Profile(raw), request=request, population=current())
    if now is not None:
        ctx.now = now
    if any(k == "score" for d in defs for k in d.compiled.kinds):
        ctx.score_models = _score_models()
    matched = []
    for seg in defs:
        try:
            if seg.compiled.match(ctx):
                matched.append(seg)
        except Exception:  # a rule bug must never break a page
            logger.exception("Segment %r failed to evaluate; treated as not matching.", seg.slug)
    return matched


def _can_preview(request: Any) -> bool:
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(
        user.is_superuser
        or user.has_perm("personalization.change_segment")
        or user.has_perm("wagtailadmin.access_admin")
    )


def preview_segment(request: Any) -> str | None:
    """The slug an editor asked to preview the page as (`?sp_preview_segment=<slug>`), honoured
    only for users who may edit; None otherwise."""
    slug = getattr(request, "GET", {}).get(PREVIEW_PARAM, "")
    if slug and _can_preview(request):
        return str(slug)[:60]
    return None


def segments_for(
    request: Any = None, *, visitor: Any = None, now: datetime | None = None
) -> list[SegmentDef]:
    """The current shopper's segments, highest priority first.

    With a request, the visitor comes from it (VisitorMiddleware or cookies) and the result
    is memoised on the request; `visitor=` alone evaluates without request facts.
    Never raises: on failure it logs and answers [] (the default content is shown).
    """
    if request is not None and now is None:
        memo = getattr(request, REQUEST_ATTR, None)
        if memo is not None:
            return memo
    try:
        result = _segments_for(request, visitor, now)
    except Exception:
        logger.exception("Segment membership failed; showing default content.")
        result = []
    if request is not None and now is None:
        setattr(request, REQUEST_ATTR, result)
    return result


def _segments_for(request: Any, visitor: Any, now: datetime | None) -> list[SegmentDef]:
    if request is not None:
        preview = preview_segment(request)
        if preview is not None:
            return [d for d in definitions() if d.slug == preview]
        if visitor is None:
            from personalization_plugin.tracking.identity import get_visitor

            visitor = get_visitor(request)
    raw: dict[str, Any] | None = None
    if (
        visitor is not None
        and visitor.can_personalize
        and not (visitor.is_new and not visitor.customer_id)
    ):
        raw, version = store.load(visitor.subject)
    else:
        version = store.version()
    facts = None
    if request is not None:
        facts = RequestFacts.from_request(request, signed_in=bool(visitor and visitor.customer_id))
    return evaluate(raw, definitions(version), request=facts, now=now)


def slugs_for(request: Any = None, **kwargs: Any) -> list[str]:
    return [d.slug for d in segments_for(request, **kwargs)]


def in_segment(request: Any, slug: str) -> bool:
    """Whether the current shopper is in the segment `slug` (False for unknown slugs)."""
    return any(d.slug == slug for d in segments_for(request))


def choose(request: Any, slugs: list[str]) -> str | None:
    """Of the candidate slugs, the one the shopper matches with the highest segment priority
    (ties: lowest slug). Deterministic whatever the order of `slugs`; None if none match."""
    wanted = set(slugs)
    for seg in segments_for(request):
        if seg.slug in wanted:
            return seg.slug
    return None
