"""The one intake of storefront events, shared by the browser endpoint and GraphQL.

`receive(request, raw_events, token)` is what both `POST /personalization/events/` and
the `trackEvent` mutation call, so that both apply the same rules in the same order:

1. consent: a shopper who has not consented, opted out or sent GPC -> nothing stored,
   `Received(tracking=False)`;
2. the intake token: the visitor cookie must exist and `token` be the one issued for it
   (`tokens.intake_token`) -> else `InvalidIntakeToken`;
3. screening: crawlers and replays of an erased visitor id -> nothing stored, counted
   (`tracking.screening`, `tracking.drops`), `Received(tracking=False)`;
4. the per-visitor and per-IP rate limit, counted in events -> else `RateLimited`;
5. each event: only storefront types and fields, validated by `track()`; a bad event is
   reported by index and the others are kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from personalization_plugin.core import subjects as subject_keys
from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.core.events import STOREFRONT_EVENTS, STOREFRONT_FIELDS, TrackedEvent
from personalization_plugin.core.exceptions import (
    InvalidIntakeToken,
    PersonalizationError,
    RateLimited,
)
from personalization_plugin.tracking import drops, ratelimit
from personalization_plugin.tracking.api import track
from personalization_plugin.tracking.identity import get_visitor
from personalization_plugin.tracking.products import product_categories
from personalization_plugin.tracking.screening import screen
from personalization_plugin.tracking.tokens import check_intake_token

ACCEPTED_TYPES = frozenset(t.value for t in STOREFRONT_EVENTS)
_ACCEPTED_LIST = ", ".join(sorted(ACCEPTED_TYPES))


@dataclass
class Received:
    """What the intake did with a request's events."""

    tracking: bool = True  # False: consent, a crawler or an erased id; nothing was stored
    events: list[TrackedEvent] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)  # {"index", "error", "field"?}

    @property
    def accepted(self) -> int:
        return len(self.events)


def receive(request: HttpRequest, raw_events: list[Any], token: Any) -> Received:
    """Apply the intake's rules (module docstring) to `raw_events` from one request.

    `raw_events` are dicts as a storefront sends them ({"type": ..., "product_id": ...}).
    Raises InvalidIntakeToken (answer 403 / NOT_ALLOWED) or RateLimited (429 /
    RATE_LIMITED); per-event problems are returned in `Received.errors`.
    """
    visitor = get_visitor(request)
    if not visitor.can_track:
        return Received(tracking=False)
    if visitor.is_new or not check_intake_token(visitor, token):
        raise InvalidIntakeToken(
            _(
                "Missing or invalid intake token: send the token issued for this visitor "
                "(data-sp-token, or the intakeToken GraphQL query) with the visitor cookie."
            )
        )
    reason = screen(request, visitor)
    if reason is not None:
        drops.count(reason, len(raw_events))
        return Received(tracking=False)
    ip = request.META.get("REMOTE_ADDR", "") or ""
    keys = [subject_keys.visitor(visitor.visitor_id), ratelimit.ip_key(ip)]
    if not ratelimit.allow(keys, len(raw_events)):
        raise RateLimited(
            _("Rate limit of %(limit)s events per minute exceeded; retry in a minute.")
            % {"limit": plugin_settings.RATE_LIMIT_PER_MINUTE}
        )
    return _record(request, raw_events)


def _record(request: HttpRequest, raw_events: list[Any]) -> Received:
    # One adapter call warms the product cache for the whole request.
    ids = [e.get("product_id") for e in raw_events if isinstance(e, dict) and e.get("product_id")]
    if ids:
        product_categories(str(i) for i in ids)
    received = Received()
    for index, raw in enumerate(raw_events):
        if not isinstance(raw, dict):
            received.errors.append(
                {"index": index, "error": _("Each event must be a JSON object.")}
            )
            continue
        kind = raw.get("type")
        if not isinstance(kind, str) or kind not in ACCEPTED_TYPES:
            message = _(
                "Event type %(type)s is not accepted from a storefront; use one of: %(types)s."
            ) % {"type": repr(str(kind)[:32]), "types": _ACCEPTED_LIST}
            received.errors.append({"index": index, "error": message, "field": "type"})
            continue
        fields = {name: raw[name] for name in STOREFRONT_FIELDS if raw.get(name) is not None}
        try:
            event = track(kind, request=request, **fields)
        except PersonalizationError as exc:
            received.errors.append({"index": index, "error": str(exc), **_field(str(exc))})
            continue
        if event is not None:
            received.events.append(event)
    return received


def _field(message: str) -> dict[str, str]:
    """{"field": name} for the storefront field an error message names, if any."""
    for name in STOREFRONT_FIELDS:
        if message.startswith(name) or f" {name} " in message:
            return {"field": name}
    return {}
