"""The customer page for staff: one customer's data, the export rendered.

Found from a search by email or customer id (`/admin/personalization/customers/?q=`);
shown only to staff holding `personalization.view_customers` (403 otherwise). It reads
what the privacy export gives the shopper (`privacy.export.export_subject`: events,
consent, preferences) plus what the plugin derives from it: segments with the rules
that hold, scores, triggers sent and the current "for you" list with its reasons, so
what staff see is what the shopper could download and what the storefront serves.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.template.response import TemplateResponse
from django.utils.translation import gettext

from personalization_plugin.core.permissions import VIEW_CUSTOMERS
from personalization_plugin.core.placements import Placement

logger = logging.getLogger("personalization_plugin.admin")
TEMPLATE = "personalization_plugin/admin/customer.html"
TIMELINE_LIMIT = 200
SEARCH_LIMIT = 20


def find_customers(query: str) -> list[dict[str, str]]:
    """Accounts whose email contains `query`, or whose id is `query` (customer id = user pk)."""
    query = query.strip()
    if not query:
        return []
    users = get_user_model().objects.filter(email__icontains=query)
    if query.isdigit():
        users = users | get_user_model().objects.filter(pk=int(query))
    return [
        {"id": str(u.pk), "email": u.email or "", "name": u.get_full_name()}
        for u in users.order_by("email", "pk")[:SEARCH_LIMIT]
    ]


def _visitor(customer_id: str, events: list[dict[str, Any]]) -> Any:
    """The customer as serving sees them: their newest visitor id and their stored consent
    (so the page never shows a list the storefront would not serve them)."""
    from personalization_plugin.core import subjects as subject_keys
    from personalization_plugin.models import PrivacyChoice
    from personalization_plugin.tracking.identity import Visitor

    visitor_id = next((e["visitor_id"] for e in reversed(events) if e["visitor_id"]), "")
    visitor = Visitor(visitor_id=visitor_id or f"staff-view-{customer_id}", customer_id=customer_id)
    choice = PrivacyChoice.objects.filter(subject=subject_keys.customer(customer_id)).first()
    if choice is not None:
        visitor.consent = choice.consent
    return visitor


def _scores(visitor: Any) -> list[dict[str, Any]]:
    from personalization_plugin.profiles import store
    from personalization_plugin.profiles.profile import Profile
    from personalization_plugin.scores.model import active_models, score_profile

    raw, _version = store.load(visitor.subject)
    profile = Profile(raw)
    scored = [
        (kind, score_profile(model, profile, time.time()))
        for kind, model in sorted(active_models().items())
    ]
    # Three significant digits: enough to compare shoppers, no false precision.
    return [{"kind": kind, "score": score, "shown": f"{score:.3g}"} for kind, score in scored]


def _recommendations(visitor: Any) -> list[Any]:
    from personalization_plugin.serving import recommend

    return list(recommend(Placement.FOR_YOU, visitor=visitor, limit=8).items)


def customer_context(customer_id: str) -> dict[str, Any]:
    """Everything the page shows about one customer; each derived part may fail alone."""
    from personalization_plugin.privacy.export import export_subject
    from personalization_plugin.segments.explain import memberships_of
    from personalization_plugin.triggers.models import TriggerFiring

    exported = export_subject(customer_id=customer_id)
    events = exported["events"]
    visitor = _visitor(customer_id, events)
    context: dict[str, Any] = {
        "customer_id": customer_id,
        "account": find_customers(customer_id)[:1],
        "event_count": len(events),
        "timeline": list(reversed(events))[:TIMELINE_LIMIT],
        "consent": exported["consent"],
        "preferences": exported["preferences"],
        "segments": memberships_of(visitor),
        "triggers": list(
            TriggerFiring.objects.filter(subject__in=exported["subjects"]).order_by("-fired_at")[
                :50
            ]
        ),
        "scores": [],
        "recommendations": [],
        "problems": [],
    }
    for key, build in (("scores", _scores), ("recommendations", _recommendations)):
        try:
            context[key] = build(visitor)
        except Exception:  # one unavailable part must not hide the rest
            logger.exception("Customer page: %s unavailable.", key)
            context["problems"].append(key)
    return context


def customer_page(request: HttpRequest) -> HttpResponse:
    """Search (`?q=`) and one customer (`?customer=<id>`), for staff who may see customers."""
    if not request.user.has_perm(VIEW_CUSTOMERS):
        # A plain 403 (not Wagtail's redirect to the dashboard): staff are told plainly.
        return HttpResponseForbidden(
            gettext("You need the “Can see individual customers' personalization data” permission.")
        )
    query = str(request.GET.get("q", ""))[:200]
    context: dict[str, Any] = {
        "page_title": gettext("Customers"),
        "header_icon": "user",
        "query": query,
        "results": find_customers(query),
    }
    customer_id = str(request.GET.get("customer", "")).strip()[:128]
    if customer_id:
        context |= customer_context(customer_id)
    return TemplateResponse(request, TEMPLATE, context)
