"""The merchandising form's preview: the list a placement would show with the rule as typed.

The form's fields are posted by htmx on every change (`rule_preview`); the view validates
them with the same `MerchandisingRuleForm` as saving does, and, when they are valid, serves
the placement through the real `recommend()` with the unsaved rule in place of its saved
version (`serving.rules.previewing`), as a shopper of the chosen segment (or of none). While
the form is invalid it says what to fix and shows the list as served now, so the owner
never wonders why the preview did not move.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from personalization_plugin.admin.forms import MerchandisingRuleForm
from personalization_plugin.core.permissions import require
from personalization_plugin.core.placements import Placement
from personalization_plugin.models import MerchandisingRule
from personalization_plugin.serving import recommend
from personalization_plugin.serving import rules as serving_rules
from personalization_plugin.serving.placements import NEEDS_PRODUCT

logger = logging.getLogger("personalization_plugin.admin")
TEMPLATE = "personalization_plugin/admin/rule_preview.html"
PREVIEW_LIMIT = 8
DEFAULT_PLACEMENT = Placement.TRENDING


def _draft(data: dict[str, Any], pk: int | None) -> serving_rules.Rule:
    return serving_rules.Rule(
        id=pk if pk is not None else 2**31,  # unsaved: after every saved rule on a tie
        action=data["action"],
        target_type=data["target_type"],
        target_id=str(data["target_id"]).strip(),
        placement=data.get("placement") or "",
        position=int(data.get("position") or 1),
        strength=float(data.get("strength") or 1.0),
        starts_at=data.get("starts_at"),
        ends_at=data.get("ends_at"),
        segment=data.get("segment") or "",
    )


def _instance(request: HttpRequest) -> MerchandisingRule:
    raw = str(request.POST.get("sp-rule-pk") or "")
    if raw.isdigit():
        found = MerchandisingRule.objects.filter(pk=int(raw)).first()
        if found is not None:
            return found
    return MerchandisingRule()


@require_POST
def rule_preview(request: HttpRequest) -> HttpResponse:
    """The preview fragment (htmx), for users who may add or change merchandising rules."""
    require(
        request.user,
        "personalization.add_merchandisingrule",
        "personalization.change_merchandisingrule",
    )
    instance = _instance(request)
    form = MerchandisingRuleForm(request.POST, instance=instance)
    valid = form.is_valid()
    data = form.cleaned_data if valid else {}
    placement = (data.get("placement") if valid else request.POST.get("placement")) or ""
    segment = (data.get("segment") if valid else "") or ""
    context: dict[str, Any] = {
        "errors": [] if valid else [str(e) for errs in form.errors.values() for e in errs],
        "segment": segment,
        "placement": placement or DEFAULT_PLACEMENT,
        "items": [],
        "note": "",
    }
    if placement in NEEDS_PRODUCT or placement == Placement.CATEGORY_TOP:
        context["note"] = gettext(
            "This placement depends on the product or category on the page, so it cannot be "
            "previewed here; the rule applies there as it does in the other lists."
        )
        return TemplateResponse(request, TEMPLATE, context)
    draft = _draft(data, instance.pk) if valid and data.get("enabled") else None
    try:
        with serving_rules.previewing(draft, replaces=instance.pk):
            result = recommend(
                placement or DEFAULT_PLACEMENT,
                limit=PREVIEW_LIMIT,
                segments=[segment] if segment else [],
            )
    except Exception:  # the preview is a help, never a reason to lose the owner's edit
        logger.exception("Merchandising preview failed.")
        context["note"] = gettext("The preview is unavailable right now; saving still works.")
        return TemplateResponse(request, TEMPLATE, context)
    context["items"] = result.items
    return TemplateResponse(request, TEMPLATE, context)
