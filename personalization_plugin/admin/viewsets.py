"""Wagtail ModelViewSets for the plugin's editable models.

Their create/edit/delete views write Wagtail log entries ("wagtail.create", ...), so
every change to a rule or experiment shows in the history and the site's audit log.
Menu items go into the Personalization submenu (see `wagtail_hooks.MENU_HOOK`).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.model import ModelViewSet

from personalization_plugin.admin.forms import ExperimentForm, MerchandisingRuleForm
from personalization_plugin.core.menu import MENU_HOOK
from personalization_plugin.experiments.models import Experiment
from personalization_plugin.models import MerchandisingRule


class MerchandisingRuleViewSet(ModelViewSet):
    model = MerchandisingRule
    icon = "pick"
    menu_label = _("Merchandising")
    menu_hook = MENU_HOOK
    menu_order = 100
    add_to_admin_menu = False
    url_prefix = "personalization/rules"
    name = "personalization_rules"
    list_display = [
        "__str__",
        "action",
        "target_type",
        "placement",
        "segment",
        "starts_at",
        "ends_at",
        "enabled",
    ]
    list_filter = ["action", "target_type", "placement", "enabled"]
    search_fields = ["target_id", "note"]
    copy_view_enabled = False
    # The form with the preview of the resulting list beside it (`admin.rule_preview`).
    create_template_name = "personalization_plugin/admin/rule_create.html"
    edit_template_name = "personalization_plugin/admin/rule_edit.html"

    def get_form_class(self, for_update: bool = False) -> type:
        return MerchandisingRuleForm


class ExperimentViewSet(ModelViewSet):
    model = Experiment
    icon = "resubmit"
    menu_label = _("Experiments")
    menu_hook = MENU_HOOK
    menu_order = 200
    add_to_admin_menu = False
    url_prefix = "personalization/experiments"
    name = "personalization_experiments"
    list_display = [
        "name",
        "placement",
        Column("status", label=_("Status"), accessor="get_status_display"),
        "holdout_percent",
        "started_at",
        "ended_at",
        Column("results", label=_("Results"), accessor=lambda e: _results_link(e)),
    ]
    list_filter = ["status", "placement"]
    copy_view_enabled = False

    def get_form_class(self, for_update: bool = False) -> type:
        return ExperimentForm


def _results_link(experiment: Experiment) -> str:
    url = reverse("personalization_admin:experiment_results", args=[experiment.pk])
    return format_html('<a href="{}">{}</a>', url, gettext("Results and controls"))
