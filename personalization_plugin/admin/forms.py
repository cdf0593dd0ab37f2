"""Admin forms: each validates what the owner typed and says how to fix it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from personalization_plugin.admin.chooser import ProductChooserWidget
from personalization_plugin.experiments.models import Experiment
from personalization_plugin.models import MerchandisingRule
from personalization_plugin.serving.types import PLACEMENTS


def _segment_choices() -> list[tuple[str, str]]:
    """Every segment (enabled or not: a disabled one may be switched on for a campaign)."""
    from personalization_plugin.segments.models import Segment

    return [
        (slug, name if enabled else gettext("%(name)s (disabled)") % {"name": name})
        for slug, name, enabled in Segment.objects.order_by("name").values_list(
            "slug", "name", "enabled"
        )
    ]


class MerchandisingRuleForm(WagtailAdminModelForm):
    placement = forms.ChoiceField(
        required=False,
        choices=[("", _("Every placement")), *((p, p.replace("_", " ")) for p in PLACEMENTS)],
    )

    segment = forms.ChoiceField(
        required=False,
        label=_("Segment"),
        help_text=_(
            "Empty: every shopper. Otherwise the rule applies only to shoppers in this "
            "segment (pin new arrivals for VIPs, exclude a category for one segment)."
        ),
    )

    position = forms.IntegerField(
        min_value=1,
        max_value=100,
        initial=1,
        help_text=_("For pins: 1 is the first slot"),
        error_messages={"min_value": _("Positions start at 1 (the first slot); 0 is not a slot.")},
    )

    class Meta:
        model = MerchandisingRule
        widgets = {"target_id": ProductChooserWidget()}
        help_texts = {
            "target_id": _(
                "The product's id in your store (e.g. 42) or the category's id (e.g. mugs)."
            ),
            "starts_at": _("Optional: the rule starts at this time."),
            "ends_at": _("Optional: the rule stops at this time."),
        }
        fields = [
            "action",
            "target_type",
            "target_id",
            "placement",
            "segment",
            "position",
            "strength",
            "starts_at",
            "ends_at",
            "enabled",
            "note",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = [("", gettext("Every shopper")), *_segment_choices()]

    def clean(self) -> dict:
        data = super().clean()
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", gettext("The end must be after the start."))
        action, target = data.get("action"), data.get("target_type")
        if action == MerchandisingRule.Action.PIN and target != MerchandisingRule.Target.PRODUCT:
            self.add_error("target_type", gettext("Only a product can be pinned to a position."))
        if target == MerchandisingRule.Target.PRODUCT and data.get("target_id"):
            self._check_product(str(data["target_id"]).strip(), pinned=action == "pin")
        if action == MerchandisingRule.Action.PIN and data.get("position") and data.get("enabled"):
            self._check_slot(data)
        return data

    def _check_slot(self, data: dict) -> None:
        from personalization_plugin.serving.rules import conflicting_pins

        others = conflicting_pins(
            data.get("placement") or "",
            int(data["position"]),
            data.get("starts_at"),
            data.get("ends_at"),
            exclude_pk=self.instance.pk,
            segment=data.get("segment") or "",
        )
        if others:
            self.add_error(
                "position",
                gettext(
                    "Slot %(position)d is already taken by “%(other)s” at the same time; "
                    "choose another position, placement or dates, or disable that rule."
                )
                % {"position": data["position"], "other": others[0]},
            )

    def _check_product(self, product_id: str, pinned: bool = False) -> None:
        from personalization_plugin.adapters import get_adapter

        try:
            known = get_adapter().get_products([product_id])
        except Exception:  # the store is unreachable: let the rule through rather than block
            return
        if product_id not in known:
            self.add_error(
                "target_id",
                gettext("No product has the id %(id)r; use the product's id in your store.")
                % {"id": product_id},
            )
        elif pinned and not known[product_id].available:
            # Serving never shows unavailable products, so such a pin would silently not show.
            self.add_error(
                "target_id",
                gettext(
                    "“%(title)s” is out of stock or unpublished, so the pin would never show; "
                    "restock or publish it first, or pin another product."
                )
                % {"title": known[product_id].title or product_id},
            )


class ExperimentForm(WagtailAdminModelForm):
    class Meta:
        model = Experiment
        fields = [
            "name",
            "placement",
            "control_strategy",
            "treatment_strategy",
            "challenger_version",
            "holdout_percent",
            "primary_metric",
            "minimum_detectable_effect",
            "baseline_rate",
            "attribution_days",
            "note",
        ]

    # Changing these while visitors are being split would mix two experiments' data.
    LOCKED_WHILE_RUNNING = (
        "placement",
        "control_strategy",
        "treatment_strategy",
        "challenger_version",
        "holdout_percent",
        "primary_metric",  # chosen before the start, or the test is no longer honest
        "minimum_detectable_effect",
    )

    def clean(self) -> dict:
        data = super().clean()
        if self.instance.pk and self.instance.status != Experiment.Status.DRAFT:
            for name in self.LOCKED_WHILE_RUNNING:
                if name in self.changed_data:
                    self.add_error(
                        name,
                        gettext(
                            "This experiment has already run: create a new one to change this."
                        ),
                    )
        return data
