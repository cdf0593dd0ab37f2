"""Erasure: remove everything stored about one shopper, everywhere.

Other parts of the plugin (the engine's model factors, serving's cached lists) keep
their own per-shopper data; they `core.registry.register_eraser(func)` in their app's
`ready()` so that `erase()` reaches them.
A func takes the set of subjects ("v:<visitor id>", "c:<customer id>") and returns how
many things it removed, or raises (ErasureIncomplete with what is left) when it could not.

The erasure ledger (`ErasedShopper`, keyed hashes only) is written first: imports, training
and model loading honour it, so nothing a slower or overlapping step misses can bring the
shopper back. Events are erased by what belongs to the shopper (`owned_events`), never
by another customer's events under a visitor id they once shared, and `erase()` either
completes or raises ErasureIncomplete: it never reports a success it did not achieve.
"""

from __future__ import annotations

import logging
import time

from django.db.models import Q

from personalization_plugin.core import registry
from personalization_plugin.core import subjects as subject_keys
from personalization_plugin.core.exceptions import ErasureIncomplete

logger = logging.getLogger("personalization_plugin.privacy")


def _eraser_name(func: registry.Eraser) -> str:
    return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', repr(func))}"


def subjects_for(visitor_id: str | None, customer_id: str | None) -> set[str]:
    """Every subject key erasure reaches for a shopper: the customer, the visitor, and
    every visitor id whose events were merged into the customer."""
    from personalization_plugin.models import Event

    subjects: set[str] = set()
    if visitor_id:
        subjects.add(subject_keys.visitor(visitor_id))
    if customer_id:
        subjects.add(subject_keys.customer(customer_id))
        merged = Event.objects.filter(customer_id=customer_id).values_list("visitor_id", flat=True)
        subjects |= {subject_keys.visitor(v) for v in merged.distinct()}
    return subjects


def owned_events(visitor_id: str | None, customer_id: str | None, *, for_erasure: bool) -> Q:
    """The events that belong to this shopper, as a filter on `Event`.

    A visitor id may have been shared: a browser used by two customers in turn, before
    ids were rotated on logout. So a customer owns the events attributed to them, never
    another customer's under the same visitor id; the current browser (`visitor_id`) owns
    its anonymous events. Erasure (`for_erasure`) also takes the unattributed anonymous
    events under the customer's visitor ids: when in doubt, delete; export shows only
    what is provably theirs."""
    from personalization_plugin.models import Event

    owned = Q(pk__in=[])
    if customer_id:
        owned |= Q(customer_id=customer_id)
        if for_erasure:
            theirs = Event.objects.filter(customer_id=customer_id).values("visitor_id")
            owned |= Q(visitor_id__in=theirs, customer_id="")
    if visitor_id:
        owned |= Q(visitor_id=visitor_id, customer_id="")
        if customer_id:
            owned |= Q(visitor_id=visitor_id, customer_id=customer_id)
    return owned


def erased_digest(subject: str) -> str:
    """The keyed hash under which an erased subject is remembered (never the id itself):
    `core.subjects.digest` under HASH_KEY, so rotating SECRET_KEY does not change it."""
    return subject_keys.digest(subject, purpose="erased", length=64)


def erased_subjects(subjects: set[str]) -> set[str]:
    """Which of these subjects were erased, under the current or any older hash key
    (one query per 500 digests); imports skip their history."""
    from personalization_plugin.models import ErasedShopper

    return ErasedShopper.objects.matching(subjects)


def is_erased(subject: str) -> bool:
    """Whether this subject ("v:<id>" / "c:<id>") is in the erasure ledger. Stable API:
    the intake checks it before storing events of an id that was forgotten."""
    return bool(erased_subjects({subject}))


# Redis key-name digests (purpose, length) of the stores that name a shopper; erasure
# sweeps them under older hash keys too, which nothing reads any more but still exist.
KEY_DIGESTS = (("realtime", 24), ("profile", 24), ("cache", 24), ("ledger", 24), ("ratelimit", 20))


def _forget_under_old_keys(subjects: set[str]) -> int:
    """Delete Redis keys named by a digest under a fallback hash key (state written
    before a HASH_KEY or SECRET_KEY rotation). One SCAN of the plugin's keys, and only
    while fallback keys are configured; raises REDIS_ERRORS when Redis is unreachable."""
    from personalization_plugin.core.conf import plugin_settings
    from personalization_plugin.core.redis import get_redis

    if not plugin_settings.REDIS_URL or len(subject_keys.hash_keys()) < 2:
        return 0
    names = subjects | subject_keys.visitor_ids(subjects)
    old = {
        d
        for name in names
        for purpose, length in KEY_DIGESTS
        for d in subject_keys.digests(name, purpose, length)[1:]
    }
    client = get_redis()
    doomed = [
        k
        for k in client.scan_iter(f"{plugin_settings.KEY_PREFIX}:*", count=1000)
        if any(part in old for part in k.decode(errors="replace").split(":"))
    ]
    return int(client.delete(*doomed)) if doomed else 0


def _verify_redis_state(subjects: set[str]) -> None:
    """Check that no real-time key of these subjects is left in Redis (the real-time
    store falls back to its local copy when Redis fails): raises ErasureIncomplete if
    one is, or if Redis cannot be asked."""
    from personalization_plugin.core.conf import plugin_settings
    from personalization_plugin.core.redis import REDIS_ERRORS, get_redis
    from personalization_plugin.tracking.realtime import subject_key

    if not plugin_settings.REDIS_URL or not subjects:
        return
    keys = [subject_key(name, s) for s in sorted(subjects) for name in ("rv", "ri", "cart")]
    try:
        left = int(get_redis().exists(*keys))
    except REDIS_ERRORS as exc:
        raise ErasureIncomplete(
            f"Redis stopped answering during the erasure ({type(exc).__name__}); run the "
            "erasure again when it answers."
        ) from None
    if left:
        raise ErasureIncomplete(
            f"{left} real-time key(s) of the shopper are still in Redis; run the erasure again."
        )


def _unlink_visitor_ids(visitor_ids: set[str]) -> int:
    """Give the events left under erased visitor ids (another customer's, signed in on the
    same browser; or a customer's own when only the browser asked to be forgotten) a fresh
    random visitor id: they stay with the customer they belong to, and the erased device id
    is stored nowhere. Returns how many events were relabelled."""
    from personalization_plugin.models import Event
    from personalization_plugin.tracking.identity import new_visitor_id

    return sum(
        Event.objects.filter(visitor_id=v).update(visitor_id=new_visitor_id())
        for v in sorted(visitor_ids)
    )


def _record_in_ledger(subjects: set[str]) -> None:
    """Write (or move forward) each subject's ledger row: a second erasure after the
    shopper came back must reach artifacts trained in between."""
    from django.utils import timezone

    from personalization_plugin.models import ErasedShopper

    now = timezone.now()
    ErasedShopper.objects.bulk_create(
        [ErasedShopper(digest=erased_digest(s), erased_at=now) for s in sorted(subjects)],
        update_conflicts=True,
        unique_fields=["digest"],
        update_fields=["erased_at"],
    )


def erase(
    visitor_id: str | None = None,
    customer_id: str | None = None,
    *,
    keep_consent: bool = False,
) -> dict[str, int]:
    """Erase one shopper's data and return counts per store.

    Deletes stored events, real-time state, buffered-but-unflushed events (and makes any
    flush already under way drop them), the PrivacyChoice rows unless `keep_consent`
    (kept when the shopper opts out, so that the opt-out is honoured), and calls every
    registered eraser. A keyed hash of each subject goes into the erasure ledger
    (`ErasedShopper`) first, so `personalization_import` never re-imports their past
    orders and a model artifact that still holds them drops them when loaded.

    Raises ValueError without any id, and ErasureIncomplete (after doing everything
    else) when a store could not be erased: a registered eraser failed (an unreadable
    model artifact, Redis unreachable for the cached lists), Redis keys are left, or
    Redis stopped answering. Running it again is safe.
    """
    from personalization_plugin.core.redis import REDIS_ERRORS
    from personalization_plugin.models import Event, PrivacyChoice
    from personalization_plugin.serving import placements
    from personalization_plugin.tracking import erasure_generation, ratelimit
    from personalization_plugin.tracking.backends import get_backend
    from personalization_plugin.tracking.realtime import get_realtime

    if not visitor_id and not customer_id:
        raise ValueError("erase() needs visitor_id or customer_id.")
    subjects = subjects_for(visitor_id, customer_id)
    backend = get_backend()
    try:
        backend.mark_erased(subjects, time.time())
    except REDIS_ERRORS as exc:  # first step: nothing is erased yet, so the caller can retry
        raise ErasureIncomplete(
            f"Redis is unreachable ({type(exc).__name__}), so buffered events cannot be "
            "erased; nothing was erased. Run the erasure again when Redis answers."
        ) from None
    _record_in_ledger(subjects)
    report = {"buffered": backend.scrub(subjects)}
    owned = owned_events(visitor_id, customer_id, for_erasure=True)
    report["events"] = Event.objects.filter(owned).delete()[0]
    report["unlinked_events"] = _unlink_visitor_ids(subject_keys.visitor_ids(subjects))
    realtime = get_realtime()
    report["realtime"] = sum(realtime.forget(subject) for subject in sorted(subjects))
    report["rate_limits"] = ratelimit.forget(subjects)
    report["purchases_cache"] = placements.forget(subjects)
    if not keep_consent:
        report["consent"] = PrivacyChoice.objects.filter(subject__in=subjects).delete()[0]
    failed: list[str] = []
    for func in registry.erasers():
        name = _eraser_name(func)
        try:
            report[name] = int(func(set(subjects)))
        except ErasureIncomplete as exc:  # the eraser says what is left and what to do
            failed.append(f"{name}: {exc}")
            logger.error("Eraser %s did not finish: %s", name, exc)
        except Exception as exc:
            failed.append(name)
            logger.error("Eraser %s failed: %s: %s", name, type(exc).__name__, exc)
    try:
        report["old_key_names"] = _forget_under_old_keys(subjects)
    except REDIS_ERRORS as exc:
        failed.append(f"Redis keys named under an older hash key ({type(exc).__name__})")
    try:
        _verify_redis_state(subjects)
    except ErasureIncomplete as exc:
        failed.append(str(exc))
    try:  # last: other processes' caches are emptied once the data is gone
        erasure_generation.advance([erased_digest(s) for s in sorted(subjects)])
    except REDIS_ERRORS as exc:
        failed.append(f"the erasure generation other processes read ({type(exc).__name__})")
    if failed:
        raise ErasureIncomplete(
            f"Erasure done except in {'; '.join(failed)}. Fix what is named (the error is "
            "logged) and run the erasure again."
        )
    logger.info("Erased %d subject(s): %s", len(subjects), report)
    return report
