"""What the model page shows of a `ModelVersion`, worded and formatted for store owners.

The stored metrics are machine figures ("ndcg@10": 0.30471..., "cases": 547). Here
each becomes a row with a translated name, a one-line definition and a number formatted
for people: counts as grouped integers, rates with three significant digits, and the
noise (standard error) next to the figure it qualifies. The selection report and the
quality gate's decision become sentences and tables in the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

METRIC_TEXT = {
    "ndcg@10": (
        _("Ranking quality (NDCG@10)"),
        _("How high the products shoppers went on to choose ranked in their top 10; 1 is perfect."),
    ),
    "hit_rate@10": (
        _("Hit rate"),
        _("Share of shoppers whose top 10 held at least one product they went on to choose."),
    ),
    "recall@10": (
        _("Recall"),
        _("Share of each shopper's next products that their top 10 contained."),
    ),
    "precision@10": (
        _("Precision"),
        _("Share of the top 10 that the shopper went on to choose."),
    ),
    "map@10": (
        _("Mean average precision"),
        _("Like precision, but hits near the top of the list count more."),
    ),
    "coverage": (
        _("Catalog coverage"),
        _("Share of the catalog that appears in at least one shopper's top 10."),
    ),
    "cases": (
        _("Shoppers scored"),
        # xgettext:no-python-format
        _("Shoppers of the held-out last 10% of time that the figures above average over."),
    ),
    "test_subjects": (
        _("Shoppers in the holdout"),
        _("Shoppers active in the held-out period; at most 5,000 of them are scored."),
    ),
}

PART_TEXT = {
    "als": _("Matrix factorisation (ALS)"),
    "bpr": _("Matrix factorisation (BPR)"),
    "item_knn cosine": _("Similar items (cosine)"),
    "item_knn bm25": _("Similar items (BM25)"),
    "rp3beta": _("Random-walk similar items (RP3beta)"),
    "ease": _("Linear item model (EASE)"),
    "neighbours": _("Similar items"),
    "session": _("Viewed together in a session"),
    "sequence": _("Viewed next"),
    "bought_together": _("Bought together"),
    "popularity": _("Popular products"),
    "trending": _("Trending products"),
}

GATE_TEXT = {
    "first_model": _("Activated: no model was active before."),
    "no_metric": _("Activated: too few events for a holdout figure to compare."),
    "active_has_no_metric": _("Activated: the previous model had no holdout figure to compare."),
    "forced": _("Activated on request, without comparing."),
    "not_worse": _("Activated: its ranking quality is not worse than the active model's."),
    "worse": _(
        "Not activated: its ranking quality is more than the tolerance below the active model's."
    ),
}


def significant(value: float, digits: int = 3) -> str:
    """`value` with `digits` significant digits, localised (0.30471 -> "0.305")."""
    if value == 0 or not math.isfinite(value):
        return number_format(0 if value == 0 else value, 0)
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    return number_format(round(value, decimals), decimals)


def integer(value: int | float) -> str:
    return number_format(int(value), 0, force_grouping=True)


@dataclass(frozen=True)
class Row:
    label: str
    value: str
    help: str = ""


def metric_rows(metrics: dict[str, Any]) -> list[Row]:
    """The holdout figures, in a fixed order, each with its definition."""
    rows = []
    for key, (label, help_text) in METRIC_TEXT.items():
        value = metrics.get(key)
        if not isinstance(value, int | float) or isinstance(value, bool):
            continue
        if key in ("cases", "test_subjects"):
            text = integer(value)
        else:
            text = significant(float(value))
            stderr = metrics.get(f"{key}_stderr")
            if isinstance(stderr, int | float) and stderr > 0:
                text = gettext("%(value)s ± %(noise)s") % {
                    "value": text,
                    "noise": significant(float(stderr), 2),
                }
        rows.append(Row(str(label), text, str(help_text)))
    return rows


def part_label(name: str) -> tuple[str, str]:
    """(what the candidate is, its settings) from a selection candidate name such as
    "core: als f64 r0.05 a1" or "ease l200"."""
    name = name.removeprefix("core: ")
    for key in sorted(PART_TEXT, key=len, reverse=True):
        if name == key or name.startswith(key + " "):
            return str(PART_TEXT[key]), name[len(key) :].strip()
    return name, ""


def selection_rows(selection: dict[str, Any]) -> list[dict[str, Any]]:
    """The candidates compared on validation, best first, with the chosen parts marked."""
    chosen = {
        part["part"]
        for part in (selection.get("blend") or {}).values()
        if part.get("weight") and selection.get("chosen") == "fitted blend"
    }
    rows = []
    for c in selection.get("candidates", []):
        what, detail = part_label(c["name"])
        seconds = c.get("fit_seconds")
        rows.append(
            {
                "what": what,
                "detail": detail,
                "score": significant(float(c.get("ndcg@10", 0.0))),
                "seconds": significant(float(seconds), 2) if seconds else "",
                "in_blend": c["name"] in chosen,
            }
        )
    return rows


def blend_rows(selection: dict[str, Any]) -> list[Row]:
    """The chosen blend's parts and weights (shares of the total weight)."""
    if selection.get("chosen") != "fitted blend":
        return []
    parts = {slot: p for slot, p in (selection.get("blend") or {}).items() if p.get("weight")}
    total = sum(float(p["weight"]) for p in parts.values()) or 1.0
    return [
        Row(part_label(p["part"])[0], significant(float(p["weight"]) / total * 100, 2) + " %")
        for p in sorted(parts.values(), key=lambda p: -float(p["weight"]))
    ]


def gate_text(gate: dict[str, Any]) -> dict[str, Any] | None:
    """The gate's decision as a sentence plus the two figures it compared."""
    if not gate:
        return None
    return {
        "activated": bool(gate.get("activate")),
        "sentence": str(GATE_TEXT.get(gate.get("reason", ""), gate.get("reason", ""))),
        "new": significant(gate["new"]) if isinstance(gate.get("new"), int | float) else "",
        "active": significant(gate["active"])
        if isinstance(gate.get("active"), int | float)
        else "",
        "active_version": gate.get("active_version", ""),
        "tolerance": significant(float(gate.get("tolerance", 0.0)) * 100, 2),
    }


def report(mv: Any) -> dict[str, Any]:
    """Everything the model page shows about one version."""
    metrics = mv.metrics or {}
    selection = metrics.get("selection") or {}
    return {
        "metrics": metric_rows(metrics),
        "gate": gate_text(metrics.get("gate") or {}),
        "selection": selection,
        "selection_rows": selection_rows(selection),
        "blend_rows": blend_rows(selection),
        "selection_scores": {
            "fixed": significant(float(selection.get("fixed_recipe", 0.0))),
            "fitted": significant(float(selection.get("fitted_blend", 0.0))),
            # the cross-fitted gain over the fixed recipe (absent in older versions)
            "gain": significant(float(selection["held_out"]["gain"]))
            if selection.get("held_out")
            else "",
            "stderr": significant(float(selection["held_out"]["stderr"]))
            if selection.get("held_out")
            else "",
            "cases": integer(selection.get("cases", 0)),
            "seconds": significant(float(selection.get("seconds", 0.0)), 2),
        }
        if selection.get("candidates")
        else None,
        "users": integer(mv.n_users),
        "items": integer(mv.n_items),
        "interactions": integer(mv.n_interactions),
        "seconds": significant(float(mv.training_seconds), 2),
    }
