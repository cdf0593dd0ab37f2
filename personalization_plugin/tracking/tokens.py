"""The signed per-visitor token that protects the intake endpoint.

`navigator.sendBeacon` cannot set headers, so the intake view cannot use Django's CSRF
token header. Instead the page embeds `intake_token(visitor)`, an HMAC of the visitor id
under SECRET_KEY, and the view checks it against the visitor cookie: another site can
neither read nor compute it.
"""

from __future__ import annotations

from django.utils.crypto import constant_time_compare, salted_hmac

from personalization_plugin.tracking.identity import Visitor

TOKEN_SALT = "personalization_plugin.intake"


def intake_token(visitor: Visitor | str) -> str:
    """The token a page embeds for the tracking script of this visitor."""
    visitor_id = visitor if isinstance(visitor, str) else visitor.visitor_id
    return salted_hmac(TOKEN_SALT, visitor_id, algorithm="sha256").hexdigest()[:40]


def check_intake_token(visitor: Visitor | str, token: str | None) -> bool:
    """Whether `token` was issued for this visitor."""
    if not token or not isinstance(token, str):
        return False
    return constant_time_compare(intake_token(visitor), token)
