"""Consent and opt-out: reading the shopper's choice and recording a new one.

The choice lives in a cookie (CONSENT_COOKIE, "granted" or "denied") and, so that it
follows a signed-in customer across devices, in `PrivacyChoice`. A customer's stored
choice wins over the cookie. Withdrawing consent also erases what was stored.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.http import HttpRequest, HttpResponse

from ..conf import plugin_settings
from ..tracking.identity import (
    CONSENT_DENIED,
    CONSENT_GRANTED,
    CONSENT_UNKNOWN,
    Visitor,
    get_visitor,
)

CHOICES = (CONSENT_GRANTED, CONSENT_DENIED)
# Server-side tracking (no request, so no cookie) reads stored choices. While the table
# is small it is held in memory whole and re-read every CACHE_SECONDS, so a bulk import
# costs one query per few seconds, not one per shopper; larger tables are queried per
# shopper with the same short cache. Changes made in this process apply at once.
CACHE_SECONDS = 5.0
SNAPSHOT_MAX_ROWS = 20_000
_lock = threading.Lock()
_cache: dict[str, tuple[str, float]] = {}
_snapshot: dict[str, str] | None = None
_snapshot_until = 0.0


def _snapshot_choices() -> dict[str, str] | None:
    """All stored choices when there are few enough of them, else None."""
    from ..models import PrivacyChoice

    global _snapshot, _snapshot_until
    now = time.monotonic()
    with _lock:
        if _snapshot_until > now:
            return _snapshot
    rows = list(PrivacyChoice.objects.values_list("subject", "consent")[: SNAPSHOT_MAX_ROWS + 1])
    snapshot = dict(rows) if len(rows) <= SNAPSHOT_MAX_ROWS else None
    with _lock:
        _snapshot, _snapshot_until = snapshot, now + CACHE_SECONDS
    return snapshot


def stored_consent(visitor: Visitor) -> str:
    """The PrivacyChoice recorded for the visitor or customer ("unknown" if none).

    A denial under any of the shopper's subjects wins.
    """
    from ..models import PrivacyChoice

    subjects = sorted(visitor.subjects)
    snapshot = _snapshot_choices()
    if snapshot is not None:
        values = {snapshot[s] for s in subjects if s in snapshot}
    else:
        cache_key = "|".join(subjects)
        now = time.monotonic()
        with _lock:
            hit = _cache.get(cache_key)
        if hit and hit[1] > now:
            return hit[0]
        values = set(
            PrivacyChoice.objects.filter(subject__in=subjects).values_list("consent", flat=True)
        )
    value = next((c for c in (CONSENT_DENIED, CONSENT_GRANTED) if c in values), CONSENT_UNKNOWN)
    if snapshot is None:
        with _lock:
            if len(_cache) > 50_000:
                _cache.clear()
            _cache[cache_key] = (value, now + CACHE_SECONDS)
    return value


def forget_cached_consent() -> None:
    global _snapshot_until
    with _lock:
        _cache.clear()
        _snapshot_until = 0.0


def consent_for(request: HttpRequest, visitor: Visitor) -> str:
    """The shopper's explicit choice for this request: stored customer choice, else cookie."""
    if visitor.customer_id:
        stored = stored_consent(Visitor(visitor_id="-", customer_id=visitor.customer_id))
        if stored != CONSENT_UNKNOWN:
            return stored
    cookie = request.COOKIES.get(plugin_settings.CONSENT_COOKIE, "")
    return cookie if cookie in CHOICES else CONSENT_UNKNOWN


def consent_state(request: HttpRequest) -> dict[str, Any]:
    """What a consent banner or privacy page needs to know about the current shopper.

    Keys: consent ("granted" | "denied" | "unknown"), mode (CONSENT_MODE), gpc (bool),
    can_track, can_personalize, ask (bool: show a consent prompt now).
    """
    visitor = get_visitor(request)
    gpc_blocks = visitor.gpc and plugin_settings.HONOR_GPC
    return {
        "consent": visitor.consent,
        "mode": plugin_settings.CONSENT_MODE,
        "gpc": visitor.gpc,
        "can_track": visitor.can_track,
        "can_personalize": visitor.can_personalize,
        "ask": (
            plugin_settings.ENABLED
            and plugin_settings.CONSENT_MODE == "required"
            and visitor.consent == CONSENT_UNKNOWN
            and not gpc_blocks
        ),
    }


def set_consent(request: HttpRequest, response: HttpResponse, granted: bool) -> dict[str, int]:
    """Record the shopper's choice on `response` (cookie) and, when known, in PrivacyChoice.

    Granting issues the visitor cookie if there was none. Denying erases everything
    stored about the shopper (events, real-time state, buffers, registered erasers) and
    drops the visitor cookie. Returns the erasure report ({} when granting).
    """
    from ..models import PrivacyChoice
    from ..tracking.middleware import delete_visitor_cookie, set_visitor_cookie
    from .erasure import erase

    visitor = get_visitor(request)
    value = CONSENT_GRANTED if granted else CONSENT_DENIED
    response.set_cookie(
        plugin_settings.CONSENT_COOKIE,
        value,
        max_age=int(plugin_settings.COOKIE_MAX_AGE),
        samesite="Lax",
        secure=request.is_secure(),
        httponly=False,  # the tracking script may read it; it holds no secret
    )
    for subject in visitor.subjects:
        PrivacyChoice.objects.update_or_create(subject=subject, defaults={"consent": value})
    forget_cached_consent()
    visitor.consent = value
    response._personalization_cookies_done = True  # type: ignore[attr-defined]
    if granted:
        set_visitor_cookie(request, response, visitor.visitor_id)
        visitor.is_new = False
        return {}
    report = erase(
        visitor_id=visitor.visitor_id, customer_id=visitor.customer_id or None, keep_consent=True
    )
    delete_visitor_cookie(response)
    return report
