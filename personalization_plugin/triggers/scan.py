"""Find shoppers who should get a trigger now, and fire each occasion once.

Bounded: each kind looks at customers active in the last `lookback_days` (win-back: who
ordered in the last year), at most `limit` per kind, most recently active first. A
cursor per kind (`TriggerScanCursor`, a timestamp, no shopper id) remembers where a run
stopped: the next run goes on from the customer after it, and a run that reaches the end
starts the next pass from the newest again, so with N candidates every one is looked at
within ceil(N / limit) runs (the old first-`limit`-ids query rescanned the same
customers). Each candidate's profile is folded fresh from stored events and tested with the same rules segments use.

A trigger fires only for a signed-in customer (someone a store can write to) whose
stored choice allows personalization: opted-out shoppers, and under CONSENT_MODE
"required" shoppers who never consented, never fire. One shopper gets at most one
trigger per TRIGGER_MIN_HOURS_BETWEEN, and never one of a kind they switched off in the
privacy center (`privacy.preferences`). Each occasion has an idempotency key stored in
`TriggerFiring` (unique), so rescans, concurrent runs and retries never fire it twice.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from personalization_plugin.core import subjects as subject_keys
from personalization_plugin.core.conf import plugin_settings
from personalization_plugin.privacy.preferences import message_allowed
from personalization_plugin.profiles.profile import Profile, build_from_db
from personalization_plugin.segments.context import EvalContext
from personalization_plugin.segments.rules import compile_tree
from personalization_plugin.triggers.delivery import allowed
from personalization_plugin.triggers.models import Message, TriggerFiring, TriggerScanCursor
from personalization_plugin.triggers.tasks import enqueue

logger = logging.getLogger("personalization_plugin.triggers")

KINDS = ("abandoned_cart", "browse_abandonment", "win_back")
RECOMMENDED = 4


@dataclass
class Occasion:
    kind: str
    customer_id: str
    key: str  # the readable occasion; the idempotency key is its hash
    details: dict[str, Any]
    placement: str
    product_id: str | None = None
    cart: list[str] = field(default_factory=list)

    @property
    def idempotency_key(self) -> str:
        return hashlib.sha256(self.key.encode()).hexdigest()[:40]


@dataclass
class ScanReport:
    candidates: int = 0
    fired: int = 0
    already_fired: int = 0
    no_consent: int = 0
    switched_off: int = 0  # the customer turned this message kind off in the privacy center
    rate_limited: int = 0
    queued: int = 0  # handed to the task backend (the rest wait for run_due)
    firings: list[TriggerFiring] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {k: v for k, v in self.__dict__.items() if isinstance(v, int)}


def _candidates(kind: str, now: datetime, lookback_days: int, limit: int) -> list[str]:
    """The next `limit` candidates of this kind after the kind's cursor, newest first.

    Customers are ordered by their latest event of the kind; the cursor is the latest
    event time of the last customer taken. Customers tied on that exact time are all
    taken together (a batch may exceed `limit` by the ties), so none is skipped."""
    from django.db.models import Max

    from personalization_plugin.models import Event

    since = now - timedelta(days=365 if kind == "win_back" else lookback_days)
    types = {"abandoned_cart": "cart_add", "browse_abandonment": "view", "win_back": "purchase"}
    active = (
        Event.objects.filter(type=types[kind], occurred_at__gte=since, occurred_at__lte=now)
        .exclude(customer_id="")
        .values("customer_id")
        .annotate(last=Max("occurred_at"))
    )
    cursor = TriggerScanCursor.objects.filter(kind=kind).first()
    page = active
    if cursor is not None and cursor.before is not None:
        page = active.filter(last__lt=cursor.before)
    rows = list(page.order_by("-last", "customer_id")[:limit])
    if len(rows) < limit:  # the end of this pass: the next run starts from the newest
        before = None
    else:
        before = rows[-1]["last"]
        taken = {r["customer_id"] for r in rows}
        rows += [r for r in page.filter(last=before) if r["customer_id"] not in taken]
    TriggerScanCursor.objects.update_or_create(kind=kind, defaults={"before": before})
    return [r["customer_id"] for r in rows]


def _occasion(kind: str, customer_id: str, profile: Profile, now: datetime) -> Occasion | None:
    ctx = EvalContext(profile=profile, now=now)
    subject = subject_keys.customer(customer_id)
    if kind == "abandoned_cart":
        rule = {
            "rule": "abandoned_cart",
            "idle_minutes": int(plugin_settings.TRIGGER_CART_IDLE_MINUTES),
        }
        if not compile_tree(rule).match(ctx):
            return None
        cart = sorted(profile.cart, key=lambda p: -profile.cart[p])
        return Occasion(
            kind,
            customer_id,
            f"{kind}:{subject}:{profile.cart_touched:.0f}",
            {"cart": cart},
            "cart",
            cart=cart,
        )
    if kind == "browse_abandonment":
        min_views = int(plugin_settings.TRIGGER_BROWSE_MIN_VIEWS)
        products = profile.viewed_not_carted(min_views, ctx.ts - 7 * 86400.0)
        if not products:
            return None
        pid = products[0]
        views, last = profile.raw["pv"][pid]
        # One occasion per product per 30-day period.
        period = int(last // (30 * 86400))
        return Occasion(
            kind,
            customer_id,
            f"{kind}:{subject}:{pid}:{period}",
            {"product_id": pid, "views": views},
            "similar",
            product_id=pid,
        )
    rule = {"all": [{"rule": "at_risk"}, {"not": {"rule": "lapsed"}}]}
    if not compile_tree(rule).match(ctx):
        return None
    since = profile.days_since_last_order(ctx.ts) or 0.0
    return Occasion(
        kind,
        customer_id,
        f"{kind}:{subject}:{profile.last_order:.0f}",
        {"days_since_last_order": round(since, 1), "orders": profile.order_count},
        "for_you",
    )


def _recently_fired(subject: str, now: datetime) -> bool:
    hours = float(plugin_settings.TRIGGER_MIN_HOURS_BETWEEN)
    return TriggerFiring.objects.filter(
        subject=subject, fired_at__gt=now - timedelta(hours=hours)
    ).exists()


def _products(occasion: Occasion) -> list[dict[str, Any]]:
    """Recommended products from serving (never fails the trigger: [] on any error)."""
    from personalization_plugin.serving import recommend
    from personalization_plugin.tracking.identity import Visitor

    visitor = Visitor(
        visitor_id=f"cust-{occasion.customer_id}",
        customer_id=occasion.customer_id,
        consent="granted",
    )
    try:
        recs = recommend(
            occasion.placement,
            visitor=visitor,
            product_id=occasion.product_id,
            cart=occasion.cart or None,
            limit=RECOMMENDED,
        )
    except Exception as exc:
        logger.warning(
            "No recommendations for a %s trigger (%s).", occasion.kind, type(exc).__name__
        )
        return []
    return [
        {
            "id": r.product.id,
            "title": r.product.title,
            "url": r.product.url,
            "price": str(r.product.price) if r.product.price is not None else None,
            "currency": r.product.currency,
            "image_url": r.product.image_url,
            "reason": r.reason,
        }
        for r in recs.items
    ]


def _payload(occasion: Occasion, now: datetime) -> dict[str, Any]:
    return {
        "type": occasion.kind,
        "idempotency_key": occasion.idempotency_key,
        "occurred_at": now.isoformat(),
        "customer_id": occasion.customer_id,
        "details": occasion.details,
        "products": _products(occasion),
    }


def _fire(occasion: Occasion, now: datetime, report: ScanReport, dry_run: bool) -> None:
    subject = subject_keys.customer(occasion.customer_id)
    if TriggerFiring.objects.filter(idempotency_key=occasion.idempotency_key).exists():
        report.already_fired += 1
        return
    if not allowed(occasion.customer_id):
        report.no_consent += 1
        return
    if not message_allowed(occasion.customer_id, occasion.kind):
        report.switched_off += 1
        return
    if _recently_fired(subject, now):
        report.rate_limited += 1
        return
    if dry_run:
        report.fired += 1
        return
    payload = _payload(occasion, now)
    try:
        with transaction.atomic():
            firing = TriggerFiring.objects.create(
                kind=occasion.kind,
                subject=subject,
                idempotency_key=occasion.idempotency_key,
                fired_at=now,
                payload=payload,
            )
            message = Message.objects.create(
                firing=firing, kind=occasion.kind, subject=subject, created_at=now
            )
    except IntegrityError:  # a concurrent run fired it first
        report.already_fired += 1
        return
    report.fired += 1
    report.firings.append(firing)
    # Sending is the task's job (and its retries' and run_due's): the scan never waits.
    if enqueue(str(message.delivery_id)):
        report.queued += 1


def scan(
    *,
    kinds: Iterable[str] = KINDS,
    now: datetime | None = None,
    lookback_days: int = 14,
    limit: int = 500,
    dry_run: bool = False,
) -> ScanReport:
    """Find and fire due triggers. Raises ValueError for an unknown kind or a limit below 1."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1 (got {limit}).")
    now = now or timezone.now()
    report = ScanReport()
    for kind in kinds:
        if kind not in KINDS:
            raise ValueError(f"Unknown trigger kind {kind!r}; use one of: {', '.join(KINDS)}.")
        for customer_id in _candidates(kind, now, lookback_days, limit):
            profile = Profile(build_from_db(subject_keys.customer(customer_id)))
            occasion = _occasion(kind, customer_id, profile, now)
            if occasion is None:
                continue
            report.candidates += 1
            _fire(occasion, now, report, dry_run)
    return report
