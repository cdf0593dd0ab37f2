"""The rule reference: every rule kind with its meaning and parameters, from the registry.

Shown beside the JSON ("advanced") view of the segment builder, so it is never out of date.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

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
