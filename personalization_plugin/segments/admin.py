"""The Wagtail admin for segments: a ModelViewSet whose form edits the rule tree as JSON.

The rule tree is edited as JSON, validated on save with messages naming the place
(`all[1].min_views must be ...`); the form shows a reference of every rule kind with its
parameters and defaults, generated from the rule registry so it is never out of date.
Registered in `personalization_plugin.wagtail_hooks` under the Personalization menu.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.model import ModelViewSet

from personalization_plugin.core.menu import MENU_HOOK
from personalization_plugin.segments.models import Segment
from personalization_plugin.segments.rules import RULES

EXAMPLE = {
    "all": [
        {"rule": "repeat_buyer"},
        {"not": {"rule": "lapsed", "days": 180}},
        {"any": [{"rule": "viewed_category", "category": "cookware", "min_views": 3, "days": 30}]},
    ]
}


def _param_text(name: str, spec: Any) -> str:
    if spec.default is None:
        return gettext("%(name)s (required %(kind)s)") % {"name": name, "kind": spec.kind}
    return f"{name}={json.dumps(spec.default)}"


GROUP_LABELS = {
    "lifecycle": _("lifecycle"),
    "value": _("value"),
    "behavior": _("behaviour"),
    "score": _("score"),
    "context": _("context"),
}


def rule_reference() -> str:
    """HTML list of rule kinds: name, what it means, parameters with defaults."""
    rows = format_html_join(
        "",
        "<li><code>{}</code> ({}): {}. {}</li>",
        (
            (
                kind.name,
                GROUP_LABELS.get(kind.group, kind.group),
                kind.label,
                ", ".join(_param_text(n, p) for n, p in kind.params.items())
                or gettext("no parameters"),
            )
            for kind in RULES.values()
        ),
    )
    intro = gettext(
        "Combine rules with <code>all</code> (and), <code>any</code> (or) and <code>not</code>. "
        "Example: <code>{example}</code>"
    )
    return format_html(intro + "<ul>{rows}</ul>", example=json.dumps(EXAMPLE), rows=rows)


class PrettyJSONField(forms.JSONField):
    def prepare_value(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        return json.dumps(value, indent=2)


class SegmentForm(WagtailAdminModelForm):
    rules = PrettyJSONField(
        widget=forms.Textarea(attrs={"rows": 14, "style": "font-family: monospace"}),
    )

    class Meta:
        model = Segment
        fields = ["name", "slug", "description", "enabled", "priority", "rules"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rules"].help_text = rule_reference()


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
