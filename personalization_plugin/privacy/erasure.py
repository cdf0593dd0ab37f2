"""Erasure: remove everything stored about one shopper, everywhere.

Other parts of the plugin (the engine's model factors, serving's cached lists) keep
their own per-shopper data; they `core.registry.register_eraser(func)` in their app's
`ready()` so that `erase()` reaches them.
A func takes the set of subjects ("v:<visitor id>", "c:<customer id>") and returns how
many things it removed.
"""

from __future__ import annotations

import logging
import time

from personalization_plugin.core import registry
from personalization_plugin.core import subjects as subject_keys
from personalization_plugin.core.exceptions import ErasureIncomplete

logger = logging.getLogger("personalization_plugin.privacy")


def _eraser_name(func: registry.Eraser) -> str:
    return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', repr(func))}"


def subjects_for(visitor_id: str | None, customer_id: str | None) -> set[str]:
    """Every subject key of a shopper: the customer, the visitor, and every visitor id whose
    events were merged into the customer."""
    from personalization_plugin.models import Event

    subjects: set[str] = set()
    if visitor_id:
        subjects.add(subject_keys.visitor(visitor_id))
    if customer_id:
        subjects.add(subject_keys.customer(customer_id))
        merged = Event.objects.filter(customer_id=customer_id).values_list("visitor_id", flat=True)
        subjects |= {subject_keys.visitor(v) for v in merged.distinct()}
    return subjects


def erased_digest(subject: str) -> str:
    """The keyed hash under which an erased subject is remembered (never the id itself)."""
    from django.utils.crypto import salted_hmac

    return salted_hmac("personalization_plugin.erased", subject).hexdigest()


def erased_subjects(subjects: set[str]) -> set[str]:
    """Which of these subjects were erased (one query); imports skip their history."""
    from personalization_plugin.models import ErasedShopper

    digests = {erased_digest(s): s for s in subjects}
    found = ErasedShopper.objects.filter(digest__in=list(digests)).values_list("digest", flat=True)
    return {digests[d] for d in found}


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
    registered eraser. A keyed hash of each subject is kept (`ErasedShopper`) so that
    `personalization_import` never re-imports their past orders. Raises ValueError without any id, and ErasureIncomplete (after
    doing everything else) when a registered eraser fails.
    """
    from personalization_plugin.core.redis import REDIS_ERRORS
    from personalization_plugin.models import ErasedShopper, Event, PrivacyChoice
    from personalization_plugin.tracking import ratelimit
    from personalization_plugin.tracking.backends import get_backend
    from personalization_plugin.tracking.realtime import get_realtime

    if not visitor_id and not customer_id:
        raise ValueError("erase() needs visitor_id or customer_id.")
    subjects = subjects_for(visitor_id, customer_id)
    visitor_ids = subject_keys.visitor_ids(subjects)
    backend = get_backend()
    try:
        backend.mark_erased(subjects, time.time())
    except REDIS_ERRORS as exc:  # first step: nothing is erased yet, so the caller can retry
        raise ErasureIncomplete(
            f"Redis is unreachable ({type(exc).__name__}), so buffered events cannot be "
            "erased; nothing was erased. Run the erasure again when Redis answers."
        ) from None
    report = {"buffered": backend.scrub(subjects)}
    events = Event.objects.filter(visitor_id__in=visitor_ids)
    if customer_id:
        events = events | Event.objects.filter(customer_id=customer_id)
    report["events"] = events.delete()[0]
    realtime = get_realtime()
    report["realtime"] = sum(realtime.forget(subject) for subject in sorted(subjects))
    report["rate_limits"] = ratelimit.forget(subjects)
    if not keep_consent:
        report["consent"] = PrivacyChoice.objects.filter(subject__in=subjects).delete()[0]
    ErasedShopper.objects.bulk_create(
        [ErasedShopper(digest=erased_digest(s)) for s in sorted(subjects)],
        ignore_conflicts=True,
    )
    failed: list[str] = []
    for func in registry.erasers():
        name = _eraser_name(func)
        try:
            report[name] = int(func(set(subjects)))
        except Exception as exc:
            failed.append(name)
            logger.error("Eraser %s failed: %s", name, type(exc).__name__)
    if failed:
        raise ErasureIncomplete(
            f"Erasure done except in {', '.join(failed)}; fix the error logged above and "
            "run the erasure again."
        )
    logger.info("Erased %d subject(s): %s", len(subjects), report)
    return report
