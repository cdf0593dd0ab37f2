"""What `{% storefront_privacy_center %}` shows the current shopper.

Everything comes from the plugin's own code paths: the export (`privacy.export`, also
the download), its summary in words (`privacy.summary`), segment membership with reasons
(`segments.explain`), the shopper's preferences (`privacy.preferences`) and consent
(`privacy.consent`). The forms post to `personalization:privacy_center`, which redirects
back here with `sp_privacy=<outcome>`; this module turns that into the status message.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from personalization_plugin.core.conf import plugin_settings

logger = logging.getLogger("storefront_widgets")

MAX_CATEGORIES = 8
CONFIRM_FORGET = "confirm_forget"
# Outcomes of the form handler (privacy.center) and the message each one shows.
STATUS_MESSAGES = {
    "on": _("Personalization is on. Suggestions will use what you look at in this store."),
    "off": _(
        "Personalization is off. We deleted what we had stored about you and will not "
        "record what you do here."
    ),
    "muted": _("Done: we will not suggest products from that category any more."),
    "unmuted": _("Done: products from that category may be suggested again."),
    "message_on": _("Done: you will get that message again."),
    "message_off": _("Done: we will not send you that message."),
    "invalid": _("That change could not be made; please choose again from the options below."),
    "unavailable": _(
        "Something on our side is unavailable, so your choice may not be saved. Please try "
        "again in a minute."
    ),
}


def _export(visitor: Any) -> dict[str, Any]:
    from personalization_plugin.privacy.export import export_subject

    if visitor.is_new and not visitor.customer_id:
        return {"events": [], "realtime": {}, "consent": [], "preferences": []}
    return export_subject(
        visitor_id=None if visitor.is_new else visitor.visitor_id,
        customer_id=visitor.customer_id or None,
    )


def _categories(export: dict[str, Any], muted: frozenset[str]) -> list[dict[str, Any]]:
    """The categories the shopper met most (from their events), then the muted ones."""
    from personalization_plugin.adapters import category_names
    from personalization_plugin.serving.catalog import get_products

    counts: Counter[str] = Counter()
    products = [str(e["product_id"]) for e in export.get("events") or () if e.get("product_id")]
    infos = get_products(list(dict.fromkeys(products)))
    for event in export.get("events") or ():
        info = infos.get(str(event.get("product_id") or ""))
        for cid in (
            info.category_ids
            if info
            else ([event["category_id"]] if event.get("category_id") else [])
        ):
            counts[str(cid)] += 1
    ids = [cid for cid, _n in counts.most_common(MAX_CATEGORIES) if cid not in muted]
    ids += sorted(muted)
    names = category_names(ids) if ids else {}
    return [{"id": cid, "name": names.get(cid, cid), "muted": cid in muted} for cid in ids]


def _messages(muted: frozenset[str]) -> list[dict[str, Any]]:
    from personalization_plugin.privacy.preferences import MESSAGE_KINDS

    return [
        {"kind": m.kind, "label": m.label, "help": m.help, "enabled": m.kind not in muted}
        for m in MESSAGE_KINDS
    ]


def center_context(request: HttpRequest | None) -> dict[str, Any]:
    """Context for `storefront_widgets/privacy_center.html`; `show` False renders nothing."""
    if request is None or not plugin_settings.ENABLED:
        return {"show": False}
    from personalization_plugin.privacy.center import ERASED_PARAM, STATUS_ANCHOR, STATUS_PARAM
    from personalization_plugin.privacy.consent import consent_state
    from personalization_plugin.privacy.preferences import preferences_for
    from personalization_plugin.privacy.summary import describe
    from personalization_plugin.segments.explain import memberships
    from personalization_plugin.tracking.identity import get_visitor

    visitor = get_visitor(request)
    status = request.GET.get(STATUS_PARAM, "")
    context: dict[str, Any] = {
        "show": True,
        "request": request,
        "action": reverse("personalization:privacy_center"),
        "my_data_url": reverse("personalization:my_data"),
        "next": request.path,
        "status_anchor": STATUS_ANCHOR,
        "confirm_forget": status == CONFIRM_FORGET,
        "confirm_url": f"{request.path}?{STATUS_PARAM}={CONFIRM_FORGET}#sp-forget",
        "signed_in": bool(visitor.customer_id),
        **consent_state(request),
    }
    if status == "forgotten":
        erased = request.GET.get(ERASED_PARAM, "0")
        count = int(erased) if erased.isdigit() else 0
        context["status"] = gettext(
            "Done: we deleted everything we had stored about you (%(n)d records) and "
            "personalization is off. You can turn it on again at any time."
        ) % {"n": count}
    elif status in STATUS_MESSAGES:
        context["status"] = str(STATUS_MESSAGES[status])
    try:
        export = _export(visitor)
        prefs = preferences_for(visitor.subjects)
        context.update(
            summary=describe(export),
            segments=memberships(request) if visitor.can_personalize else [],
            categories=_categories(export, prefs.muted_categories),
            messages=_messages(prefs.muted_messages),
        )
    except Exception as exc:  # a store being down must not break the page around it
        logger.error("Privacy center data unavailable: %s", type(exc).__name__)
        context["unavailable"] = True
    return context
