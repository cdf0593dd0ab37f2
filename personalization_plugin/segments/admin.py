"""The Wagtail admin for segments: a ModelViewSet whose form edits the rule tree with a
builder (rules from the registry with typed fields, AND/OR groups, a live member count),
the JSON kept as the "advanced" view.

The rule tree is validated on save with messages naming the place
(`all[1].min_views must be ...`); the form shows a reference of every rule kind with its
parameters and defaults, generated from the rule registry so it is never out of date.
Registered in `personalization_plugin.wagtail_hooks` under the Personalization menu.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.model import ModelViewSet

from personalization_plugin.core.menu import MENU_HOOK
from personalization_plugin.segments.models import Segment
from personalization_plugin.segments.reference import rule_reference  # noqa: F401


class PrettyJSONField(forms.JSONField):
    def prepare_value(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        return json.dumps(value, indent=2)


class RuleBuilderWidget(forms.Widget):
    """The segment builder (`segments.builder`) around the JSON textarea it keeps in step.

    Every edit is posted by htmx to `builder_view`, which answers with this same markup:
    the rows, the JSON, the problem if any, and the live member count with a sample."""

    class Media:
        js = ["personalization_plugin/htmx.min.js"]

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        from personalization_plugin.segments.builder import rows_from_tree
        from personalization_plugin.segments.views import BUILDER_TEMPLATE, builder_context

        tree: Any = value
        if isinstance(value, str):
            try:
                tree = json.loads(value) if value.strip() else {}
            except ValueError:
                tree = None  # kept as typed, with the JSON view open
            else:
                tree = {} if tree is None else tree  # a new segment: "null"
        elif value is None:
            tree = {}
        state = rows_from_tree(tree) if tree is not None else None
        notice = (
            gettext("This rule tree is nested deeper than the builder shows; edit it as JSON.")
            if tree and state is None
            else ""
        )
        context = builder_context(name, tree, state, notice)
        if tree is None:
            context["json"] = value
        return mark_safe(render_to_string(BUILDER_TEMPLATE, context))

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return data.get(name)


class SegmentForm(WagtailAdminModelForm):
    rules = PrettyJSONField(widget=RuleBuilderWidget())

    class Meta:
        model = Segment
        fields = ["name", "slug", "description", "enabled", "priority", "rules"]


def _latest_size(segment: Segment) -> str:
    row = segment.sizes.order_by("-date").first()
    return gettext("not computed") if row is None else f"{row.size} ({row.date:%Y-%m-%d})"


class SegmentViewSet(ModelViewSet):
    model = Segment
    form_class = SegmentForm
    icon = "group"
    menu_label = _("Segments")
    menu_hook = MENU_HOOK
    menu_order = 150
    add_to_admin_menu = False
    url_prefix = "personalization/segments"
    name = "personalization_segments"
    list_display = [
        "name",
        "slug",
        "priority",
        "enabled",
        Column("size", label=_("Latest size"), accessor=_latest_size),
    ]
    list_filter = ["enabled", "builtin"]
    search_fields = ["name", "slug", "description"]
    copy_view_enabled = False

    def get_form_class(self, for_update: bool = False) -> type:
        return SegmentForm
