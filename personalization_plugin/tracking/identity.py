"""Who the shopper is: a signed, pseudonymous first-party visitor id plus consent.

The visitor id is a random 128-bit value, carried in a signed cookie so that a
shopper cannot pose as another by editing it. It says nothing about the person;
a signed-in customer is known by `customer_id`, and on login the anonymous
history is merged into the account (`merge_visitor`).

A browser may be shared. So the visitor id is rotated (a new one issued, the old
cookie replaced) when a customer signs out, and when a customer signs in on a visitor
id another customer used: one visitor id never spans two customers, and nothing one of
them did is exported to, erased with, or recommended from the other.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field, replace
from typing import Any

from django.core import signing
from django.http import HttpRequest

from personalization_plugin.consent import (
    CONSENT_DENIED,
    CONSENT_GRANTED,
    CONSENT_UNKNOWN,
    consent_for,
)
from personalization_plugin.core import subjects as subject_keys
from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.core.exceptions import ForgedVisitorId

logger = logging.getLogger("personalization_plugin.tracking")

COOKIE_SALT = "personalization_plugin.visitor"


def new_visitor_id() -> str:
    """A fresh random 128-bit visitor id as 32 hex characters."""
    return secrets.token_hex(16)


def sign_visitor_id(visitor_id: str) -> str:
    """The cookie value for a visitor id."""
    return signing.Signer(salt=COOKIE_SALT).sign(visitor_id)


def unsign_visitor_id(value: str) -> str:
    """The visitor id inside a cookie value.

    Raises ForgedVisitorId when the signature does not verify (edited or foreign cookie).
    """
    try:
        visitor_id = signing.Signer(salt=COOKIE_SALT).unsign(value)
    except signing.BadSignature:
        raise ForgedVisitorId(
            "The visitor cookie's signature does not verify; a new visitor id is issued."
        ) from None
    if not visitor_id or len(visitor_id) > 64:
        raise ForgedVisitorId("The visitor cookie holds no usable visitor id.")
    return visitor_id


@dataclass
class Visitor:
    """The shopper behind a request, as far as personalization is concerned.

    `consent` is the shopper's explicit choice ("granted", "denied" or "unknown");
    `gpc` is whether the browser sent `Sec-GPC: 1`. `is_new` marks an id issued on
    this request (the middleware then sets the cookie, when allowed); `rotated` marks
    one issued to replace the cookie's (on logout, or a login of another customer), so
    the middleware replaces or, when the new visitor may not be tracked, deletes it.
    """

    visitor_id: str = field(default_factory=new_visitor_id)
    customer_id: str = ""
    consent: str = CONSENT_UNKNOWN
    gpc: bool = False
    is_new: bool = False
    rotated: bool = False  # replaced the request's visitor id: the old cookie must go

    @property
    def subject(self) -> str:
        """The key a model and real-time state use: the customer if known, else the visitor."""
        return subject_keys.of(self.customer_id, self.visitor_id)

    @property
    def subjects(self) -> set[str]:
        """Every subject key this shopper may have data under."""
        return subject_keys.keys_of(self.visitor_id, self.customer_id)

    @property
    def can_track(self) -> bool:
        """Whether events of this shopper may be stored.

        An explicit choice wins; otherwise Global Privacy Control (when honoured) is
        an opt-out, and CONSENT_MODE="required" means no until the shopper says yes.
        """
        if not plugin_settings.ENABLED:
            return False
        if self.consent == CONSENT_GRANTED:
            return True
        if self.consent == CONSENT_DENIED:
            return False
        if self.gpc and plugin_settings.HONOR_GPC:
            return False
        return plugin_settings.CONSENT_MODE != "required"

    @property
    def can_personalize(self) -> bool:
        """Whether recommendations may use this shopper's history (same rule as tracking)."""
        return self.can_track

    def with_customer(self, customer_id: str) -> Visitor:
        return replace(self, customer_id=customer_id)


def customer_id_for(user: Any) -> str:
    """The customer id of a signed-in user: the adapter's `customer_id_for(user)` if it
    has one, else `str(user.pk)`. "" for anonymous users."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    try:
        from personalization_plugin.adapters import get_adapter

        adapter = get_adapter()
    except Exception:  # no adapter configured: the default mapping still works
        adapter = None
    hook = getattr(adapter, "customer_id_for", None)
    if callable(hook):
        value = hook(user)
        return str(value) if value not in (None, "") else ""
    return str(user.pk)


def _gpc(request: HttpRequest) -> bool:
    return request.headers.get("Sec-GPC", "").strip() == "1"


def visitor_from_request(request: HttpRequest) -> Visitor:
    """Build the Visitor for a request from its cookies, user and headers.

    A forged visitor cookie is ignored (a new id is issued) and logged without its value.
    """
    raw = request.COOKIES.get(plugin_settings.VISITOR_COOKIE, "")
    is_new = True
    visitor_id = ""
    if raw:
        try:
            visitor_id = unsign_visitor_id(raw)
            is_new = False
        except ForgedVisitorId:
            logger.warning(
                "Rejected a visitor cookie with a bad signature; issuing a new visitor id."
            )
    if not visitor_id:
        visitor_id = new_visitor_id()
    customer_id = customer_id_for(getattr(request, "user", None))
    visitor = Visitor(
        visitor_id=visitor_id, customer_id=customer_id, gpc=_gpc(request), is_new=is_new
    )
    visitor.consent = consent_for(request, visitor.customer_id)
    return visitor


def get_visitor(request: HttpRequest) -> Visitor:
    """The request's Visitor, set by VisitorMiddleware or built (and remembered) on demand."""
    visitor = getattr(request, "visitor", None)
    if isinstance(visitor, Visitor):
        return visitor
    visitor = visitor_from_request(request)
    request.visitor = visitor  # type: ignore[attr-defined]
    return visitor


def rotated_visitor(request: HttpRequest, customer_id: str = "") -> Visitor:
    """A fresh visitor id for this browser, replacing the cookie's; the consent choice
    is read again for `customer_id` (the browser's cookie choice when anonymous)."""
    visitor = Visitor(customer_id=customer_id, gpc=_gpc(request), is_new=True, rotated=True)
    visitor.consent = consent_for(request, customer_id)
    return visitor


def on_logout(request: HttpRequest | None) -> None:
    """Rotate the visitor id when a customer signs out (`user_logged_out`): whoever uses
    the browser next starts a new, anonymous history."""
    if request is not None:
        request.visitor = rotated_visitor(request)  # type: ignore[attr-defined]


def on_login(request: HttpRequest, visitor: Visitor, customer_id: str) -> Visitor:
    """The visitor a sign-in continues with (`user_logged_in`), after merging into the
    customer the anonymous history recorded on this browser since anyone else used it.

    When the visitor id carries another customer's history, the merge takes only what
    was recorded after that customer's last event and the id is rotated."""
    from personalization_plugin.tracking.merge import used_by_another_customer

    if not visitor.is_new and visitor.consent != CONSENT_DENIED:
        merge_visitor(visitor.visitor_id, customer_id)
    if not visitor.is_new and used_by_another_customer(visitor.visitor_id, customer_id):
        return rotated_visitor(request, customer_id)
    return visitor.with_customer(customer_id)


def merge_visitor(visitor_id: str, customer_id: str) -> int:
    """Merge an anonymous visitor's history into a customer (called on login).

    Stored events of the visitor get `customer_id`, events still buffered get it when
    flushed, real-time state moves to the customer subject, and
    `signals.visitor_merged` is sent. Returns how many stored events were updated.
    """
    from personalization_plugin.tracking.merge import merge_visitor as _merge

    return _merge(visitor_id, customer_id)
