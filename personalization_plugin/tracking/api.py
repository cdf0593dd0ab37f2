"""The public tracking API: `track()` for one event, `track_order()` for a whole order.

    from personalization_plugin import track
    track("view", request=request, product_id=str(product.pk))

Identity comes from `request` (or `visitor`), or from explicit `visitor_id` /
`customer_id` for server-side and import use. Consent is checked first: when the shopper
has not consented (CONSENT_MODE="required"), opted out, or sent Global Privacy Control,
nothing is stored and None is returned. With a request, crawlers and replays of an erased
visitor id are dropped too (`tracking.screening`), and counted (`tracking.drops`).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from redis.exceptions import NoScriptError

from personalization_plugin.consent import stored_consent
from personalization_plugin.core import request_scope
from personalization_plugin.core import subjects as subject_keys
from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.core.events import PRODUCT_EVENTS, EventType, TrackedEvent, build_event
from personalization_plugin.core.exceptions import InvalidEvent
from personalization_plugin.core.redis import REDIS_ERRORS, is_down, mark_down, mark_up
from personalization_plugin.core.registry import notify
from personalization_plugin.tracking import drops
from personalization_plugin.tracking.backends import get_backend
from personalization_plugin.tracking.backends.redis_stream import RedisStreamBackend
from personalization_plugin.tracking.identity import Visitor, get_visitor
from personalization_plugin.tracking.products import require_products
from personalization_plugin.tracking.realtime import STATE_LUA, RedisRealtime, get_realtime
from personalization_plugin.tracking.screening import screen


def track(
    type: str,
    *,
    request: HttpRequest | None = None,
    visitor: Visitor | None = None,
    visitor_id: str | None = None,
    customer_id: str | None = None,
    occurred_at: datetime | None = None,
    validate_products: bool = True,
    **fields: Any,
) -> TrackedEvent | None:
    """Record one shopper event.

    Args:
        type: an `EventType` value ("view", "cart_add", "purchase", ...).
        request / visitor: where identity and consent come from, or else
        visitor_id / customer_id: explicit ids (server-side code, imports). Without a
            request, consent is read from the stored `PrivacyChoice` of the subject.
        occurred_at: timezone-aware time of the event (default now); past times are kept.
        validate_products: check `product_id` with the store adapter (batched, cached).
        **fields: the fields of `core.events.build_event`: product_id, category_id,
            query, quantity, price, currency, placement, model_version, position,
            recommendation_id, order_id, session_id, payload.

    Returns the stored TrackedEvent, or None when consent or opt-out forbid tracking, or
    the request is a crawler's or carries an erased visitor id.
    Raises InvalidEvent (UnknownProduct for an unknown product) saying what is wrong.
    """
    who = _resolve(request, visitor, visitor_id, customer_id)
    if who is None:
        return None
    if request is not None and "session_id" not in fields:
        fields["session_id"] = _session_id(request)
    event = build_event(
        type,
        visitor_id=who.visitor_id,
        customer_id=who.customer_id,
        occurred_at=occurred_at,
        **fields,
    )
    categories: tuple[str, ...] = ()
    if event.product_id and EventType(event.type) in PRODUCT_EVENTS:
        if validate_products:
            categories = require_products([event.product_id])[event.product_id]
    _submit(event, categories)
    return event


def track_order(
    *,
    request: HttpRequest | None = None,
    visitor: Visitor | None = None,
    visitor_id: str | None = None,
    customer_id: str | None = None,
    order_id: str,
    lines: list[dict[str, Any]],
    currency: str = "",
    occurred_at: datetime | None = None,
    validate_products: bool = True,
) -> list[TrackedEvent]:
    """Record every line of a placed order as one "purchase" event.

    `lines` is a list of {"product_id", "quantity", "price"}. Every line is validated
    before any is stored, so a bad line stores nothing and raises InvalidEvent naming it.
    Returns [] when consent forbids tracking.
    """
    who = _resolve(request, visitor, visitor_id, customer_id)
    if who is None:
        return []
    if not lines:
        raise InvalidEvent(f"Order {order_id!r} has no lines; pass lines=[{{'product_id': ...}}].")
    session = _session_id(request) if request is not None else ""
    events: list[TrackedEvent] = []
    for number, line in enumerate(lines, start=1):
        if not isinstance(line, dict):
            raise InvalidEvent(
                f"Order line {number} must be a dict with product_id, quantity, price."
            )
        try:
            events.append(
                build_event(
                    EventType.PURCHASE,
                    visitor_id=who.visitor_id,
                    customer_id=who.customer_id,
                    order_id=order_id,
                    product_id=line.get("product_id"),
                    quantity=line.get("quantity", 1),
                    price=line.get("price"),
                    currency=currency,
                    session_id=session,
                    occurred_at=occurred_at,
                )
            )
        except InvalidEvent as exc:
            raise InvalidEvent(f"Order line {number}: {exc}") from None
    ids = [e.product_id for e in events]
    categories = require_products(ids) if validate_products else {}
    for event in events:
        _submit(event, categories.get(event.product_id, ()))
    return events


class _Batch:
    """Redis writes of many track() calls, sent in one pipeline per `size` events."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: list[tuple[TrackedEvent, tuple[str, ...]]] = []
        self.pipe: Any = None

    def add(
        self,
        backend: RedisStreamBackend,
        realtime: RedisRealtime,
        event: TrackedEvent,
        categories: tuple[str, ...],
    ) -> None:
        if is_down(backend.url):
            backend.fallback.submit(event)
            realtime.fallback.record(event, categories)
            return
        if self.pipe is None:
            self.pipe = backend.client.pipeline(transaction=False)
        try:  # building the arguments may read the trending epoch from Redis
            args = realtime.script_args(event, categories, backend.stream, event.to_json())
        except REDIS_ERRORS as exc:
            mark_down(exc, backend.url)
            self.items.append((event, categories))
            self.send(backend, realtime)
            return
        self.pipe.eval(STATE_LUA, *args)
        self.items.append((event, categories))
        if len(self.items) >= self.size:
            self.send(backend, realtime)

    def send(self, backend: RedisStreamBackend, realtime: RedisRealtime) -> None:
        if not self.items:
            return
        items, pipe = self.items, self.pipe
        self.items, self.pipe = [], None
        request_scope.forget()  # the request's later reads see what this batch wrote
        try:
            if is_down(backend.url):
                raise ConnectionError("Redis is marked down")
            pipe.execute()
        except REDIS_ERRORS as exc:
            mark_down(exc, backend.url)
            for event, categories in items:
                backend.fallback.submit(event)
                realtime.fallback.record(event, categories)


_batching = threading.local()


@contextmanager
def batch(size: int | None = None) -> Iterator[None]:
    """Send the Redis writes of the track() calls inside in pipelines of `size` events.

    For imports and seeding: each event otherwise costs one Redis round trip. Real-time
    state of an event becomes visible to other processes when its pipeline is sent (at
    the latest when the block ends). Without Redis this changes nothing.

        with batch():
            for row in rows:
                track("view", visitor_id=row.visitor, product_id=row.product, occurred_at=row.at)
    """
    previous = getattr(_batching, "current", None)
    current = _Batch(size or int(plugin_settings.BATCH_SIZE))
    _batching.current = current
    try:
        yield
    finally:
        _batching.current = previous
        backend, realtime = get_backend(), get_realtime()
        if isinstance(backend, RedisStreamBackend) and isinstance(realtime, RedisRealtime):
            current.send(backend, realtime)


def _submit(event: TrackedEvent, categories: tuple[str, ...]) -> None:
    """Update real-time state and buffer the event, in one Redis round trip when possible."""
    backend = get_backend()
    realtime = get_realtime()
    current = getattr(_batching, "current", None)
    if isinstance(realtime, RedisRealtime) and isinstance(backend, RedisStreamBackend):
        if current is not None:
            current.add(backend, realtime, event, categories)
            return
        _submit_to_redis(backend, realtime, event, categories)
    else:
        realtime.record(event, categories)
        backend.submit(event)
    if current is None:
        notify(event, categories)


def _submit_to_redis(
    backend: RedisStreamBackend,
    realtime: RedisRealtime,
    event: TrackedEvent,
    categories: tuple[str, ...],
) -> None:
    """One EVAL updates real-time state and XADDs the event; the in-process buffer and
    state stand in when Redis is unreachable."""
    if not is_down(backend.url):
        try:
            args = realtime.script_args(event, categories, backend.stream, event.to_json())
            _run_state_script(backend.client, args)
            request_scope.forget()  # the request's later reads see the new state
            mark_up(backend.url)
            return
        except REDIS_ERRORS as exc:
            mark_down(exc, backend.url)
    backend.fallback.submit(event)
    realtime.fallback.record(event, categories)


_STATE_SHA = hashlib.sha1(STATE_LUA.encode()).hexdigest()


def _run_state_script(client: Any, args: list[Any]) -> None:
    """EVALSHA (the script body is not resent per event), loading the script if the
    server does not know it (first use, SCRIPT FLUSH, restarted server)."""
    try:
        client.evalsha(_STATE_SHA, *args)
    except NoScriptError:
        client.script_load(STATE_LUA)
        client.evalsha(_STATE_SHA, *args)


def _session_id(request: HttpRequest) -> str:
    """A pseudonym of the Django session (never the session key itself, a credential).

    Made with the one shopper hash (`core.subjects`, HASH_KEY), not SECRET_KEY, so a
    SECRET_KEY rotation does not split a session's events in two. Nothing looks a stored
    pseudonym up again (training only groups events by it), so no fallback is tried."""
    session = getattr(request, "session", None)
    session_key = getattr(session, "session_key", None)
    if not session_key:
        return ""
    return subject_keys.digest(str(session_key), purpose="session", length=16)


def _resolve(
    request: HttpRequest | None,
    visitor: Visitor | None,
    visitor_id: str | None,
    customer_id: str | None,
) -> Visitor | None:
    """The Visitor to attribute the event to, or None when it must not be tracked."""
    if not plugin_settings.ENABLED:
        return None
    if visitor is None and request is not None:
        visitor = get_visitor(request)
    if visitor is None:
        if not visitor_id and not customer_id:
            raise InvalidEvent(
                "track() needs request=, visitor=, visitor_id= or customer_id= to know who acted."
            )
        customer = str(customer_id or "")
        visitor = Visitor(visitor_id=str(visitor_id or f"cust-{customer}"), customer_id=customer)
        visitor.consent = stored_consent(visitor)
    elif customer_id and not visitor.customer_id:
        visitor = visitor.with_customer(str(customer_id))
    if not visitor.can_track:
        return None
    if request is not None:  # crawlers and replayed erased ids are dropped, and counted
        reason = screen(request, visitor)
        if reason is not None:
            drops.count(reason)
            return None
    return visitor


__all__ = ["batch", "track", "track_order"]
