"""The segment builder: a rule tree as rows of typed fields, and back, plus a live preview.

The builder edits trees of two levels, which covers what owners build: a top group
(AND: "all", OR: "any") of rules and sub-groups of rules, each rule optionally negated.
Deeper trees stay editable as JSON (the "advanced" view); `rows_from_tree` answers None
for them. Form fields are named by the row's path (`sb-2-kind`, `sb-1-0-p-min_orders`),
so the htmx endpoint (`views.builder_view`) can rebuild the tree from a plain POST.

`preview` runs the batch evaluator (`batch.evaluate_tree`, the one `personalization_segments`
uses) over stored events: how many shoppers match now and a few of them, customers by id
and anonymous visitors by a keyed digest, never their visitor id.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext

from personalization_plugin.core import subjects as subject_keys
from personalization_plugin.core.exceptions import InvalidRuleTree
from personalization_plugin.segments.rules import RULES, Param, compile_tree

PREFIX = "sb"
OPS = ("all", "any")
SAMPLE_SIZE = 8
POPULATION_SECONDS = 60.0


@dataclass
class RuleRow:
    """One rule: its kind, its parameter values (typed, or the raw text when invalid)."""

    path: str
    kind: str
    params: dict[str, Any]
    negated: bool = False

    @property
    def spec(self) -> dict[str, Param]:
        return RULES[self.kind].params if self.kind in RULES else {}

    def fields(self) -> list[dict[str, Any]]:
        """What the template needs per parameter: name, kind, value, bounds, choices."""
        out = []
        for name, spec in self.spec.items():
            value = self.params.get(name, spec.default)
            if spec.kind == "str_list" and isinstance(value, list):
                value = ", ".join(value)
            out.append(
                {
                    "name": name,
                    "input": f"{PREFIX}-{self.path}-p-{name}",
                    "kind": spec.kind,
                    "value": "" if value is None else value,
                    "low": spec.low,
                    "high": spec.high,
                    "choices": spec.choices,
                    "help": spec.help,
                    "required": spec.default is None,
                }
            )
        return out

    is_group = False

    def node(self) -> dict[str, Any]:
        leaf = {"rule": self.kind, **self.params}
        return {"not": leaf} if self.negated else leaf


@dataclass
class GroupRow:
    """A sub-group of rules combined with AND ("all") or OR ("any")."""

    path: str
    op: str
    rules: list[RuleRow] = field(default_factory=list)
    is_group = True

    def node(self) -> dict[str, Any] | None:
        children = [r.node() for r in self.rules]
        return {self.op: children} if children else None


@dataclass
class BuilderState:
    op: str = "all"
    rows: list[RuleRow | GroupRow] = field(default_factory=list)

    def tree(self) -> dict[str, Any]:
        children = [n for n in (row.node() for row in self.rows) if n is not None]
        return {self.op: children}


# From a tree -----------------------------------------------------------------------------


def _rule_row(path: str, node: Any) -> RuleRow | None:
    negated = isinstance(node, dict) and set(node) == {"not"}
    leaf = node["not"] if negated else node
    if not isinstance(leaf, dict) or "rule" not in leaf:
        return None
    params = {k: v for k, v in leaf.items() if k != "rule"}
    return RuleRow(path, str(leaf["rule"]), params, negated)


def rows_from_tree(tree: Any) -> BuilderState | None:
    """The builder's rows for a tree, or None when it is deeper than the builder shows."""
    if not isinstance(tree, dict) or not tree:
        return BuilderState()
    op = next((o for o in OPS if o in tree and len(tree) == 1), None)
    if op is None or not isinstance(tree[op], list):
        row = _rule_row("0", tree)
        return BuilderState("all", [row]) if row else None
    state = BuilderState(op)
    for i, child in enumerate(tree[op]):
        row = _rule_row(str(i), child)
        if row is not None:
            state.rows.append(row)
            continue
        sub = next(
            (o for o in OPS if isinstance(child, dict) and o in child and len(child) == 1), None
        )
        if sub is None or not isinstance(child[sub], list):
            return None
        group = GroupRow(str(i), sub)
        for j, leaf in enumerate(child[sub]):
            rule = _rule_row(f"{i}-{j}", leaf)
            if rule is None:
                return None
            group.rules.append(rule)
        state.rows.append(group)
    return state


# From a POST ------------------------------------------------------------------------------


def _typed(spec: Param, raw: str | None) -> Any:
    """A parameter from its form text: typed when it parses, else the text itself, so that
    `compile_tree` names the field and the fix."""
    if spec.kind == "bool":
        return raw in ("on", "true", "1")
    if raw is None or raw.strip() == "":
        return spec.default
    raw = raw.strip()
    try:
        if spec.kind == "int":
            return int(raw)
        if spec.kind == "float":
            return float(raw)
    except ValueError:
        return raw
    if spec.kind == "str_list":
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw


def _rule_from_post(data: Any, path: str) -> RuleRow:
    kind = data.get(f"{PREFIX}-{path}-kind") or next(iter(RULES))
    spec = RULES[kind].params if kind in RULES else {}
    params = {}
    for name, param in spec.items():
        value = _typed(param, data.get(f"{PREFIX}-{path}-p-{name}"))
        if value is not None:
            params[name] = value
    return RuleRow(path, kind, params, data.get(f"{PREFIX}-{path}-not") == "on")


def _count(data: Any, key: str) -> int:
    try:
        return max(0, min(int(data.get(key, 0)), 64))
    except (TypeError, ValueError):
        return 0


def state_from_post(data: Any) -> BuilderState:
    """The builder's rows from its form fields, after the requested action
    (`sb-action`: add_rule, add_group, add_rule:<i>, remove:<path>)."""
    state = BuilderState(data.get(f"{PREFIX}-op") if data.get(f"{PREFIX}-op") in OPS else "all")
    for i in range(_count(data, f"{PREFIX}-rows")):
        if data.get(f"{PREFIX}-{i}-type") == "group":
            op = data.get(f"{PREFIX}-{i}-op")
            group = GroupRow(str(i), op if op in OPS else "any")
            for j in range(_count(data, f"{PREFIX}-{i}-n")):
                group.rules.append(_rule_from_post(data, f"{i}-{j}"))
            state.rows.append(group)
        else:
            state.rows.append(_rule_from_post(data, str(i)))
    _act(state, str(data.get(f"{PREFIX}-action") or ""))
    return renumbered(state)


def _new_rule(path: str) -> RuleRow:
    return RuleRow(path, "repeat_buyer", {})


def _act(state: BuilderState, action: str) -> None:
    verb, _, where = action.partition(":")
    if verb == "add_rule" and not where:
        state.rows.append(_new_rule(str(len(state.rows))))
    elif verb == "add_group":
        state.rows.append(GroupRow(str(len(state.rows)), "any", [_new_rule("x")]))
    elif verb == "add_rule" and where.isdigit() and int(where) < len(state.rows):
        group = state.rows[int(where)]
        if isinstance(group, GroupRow):
            group.rules.append(_new_rule("x"))
    elif verb == "remove":
        index, _, inner = where.partition("-")
        if not index.isdigit() or int(index) >= len(state.rows):
            return
        row = state.rows[int(index)]
        if inner.isdigit() and isinstance(row, GroupRow) and int(inner) < len(row.rules):
            del row.rules[int(inner)]
        elif not inner:
            del state.rows[int(index)]


def renumbered(state: BuilderState) -> BuilderState:
    """Paths 0, 1, 2… again after rows were added or removed."""
    for i, row in enumerate(state.rows):
        row.path = str(i)
        if isinstance(row, GroupRow):
            for j, rule in enumerate(row.rules):
                rule.path = f"{i}-{j}"
    return state


def validation_error(tree: Any) -> str:
    """The rule tree's problem in words, or "" when it is valid."""
    try:
        compile_tree(tree)
    except InvalidRuleTree as exc:
        return str(exc)
    return ""


# The live preview ---------------------------------------------------------------------------

_lock = threading.Lock()
_population: dict[str, Any] = {"until": 0.0, "value": None}


def _current_population() -> Any:
    """The batch evaluator's Population over stored events, reused for POPULATION_SECONDS so
    that an owner's edits do not reload every event on each keystroke."""
    from personalization_plugin.scores.features import EventArrays
    from personalization_plugin.segments import population
    from personalization_plugin.segments.batch import Population

    now = time.monotonic()
    with _lock:
        if _population["value"] is not None and _population["until"] > now:
            return _population["value"]
    at = timezone.now()
    pop = Population(EventArrays.load(until=at), at, population.current())
    with _lock:
        _population.update(until=now + POPULATION_SECONDS, value=pop)
    return pop


def forget_population() -> None:
    with _lock:
        _population.update(until=0.0, value=None)


def _shown(subject: str, customers_in_clear: bool) -> str:
    """A sample member as the owner may see them: a customer by id only for staff allowed
    to see customers, everyone else by a keyed digest (stable, so the same person keeps
    the same name across edits, and never the visitor id)."""
    if subject_keys.is_customer(subject) and customers_in_clear:
        return gettext("customer %(id)s") % {"id": subject_keys.ident(subject)}
    if subject_keys.is_customer(subject):
        return gettext("customer %(digest)s") % {
            "digest": subject_keys.digest(subject, "admin-sample", 10)
        }
    return gettext("anonymous visitor %(digest)s") % {
        "digest": subject_keys.digest(subject, "admin-sample", 10)
    }


def preview(tree: Any, customers_in_clear: bool = False) -> dict[str, Any]:
    """{size, population, sample, context_dependent} for a valid tree (raises InvalidRuleTree).

    `customers_in_clear`: whether the sample may name customers by id (the staff user
    holds `personalization.view_customers`); otherwise they get a digest too."""
    from personalization_plugin.segments.batch import evaluate_tree

    compiled = compile_tree(tree)
    pop = _current_population()
    if not pop.n:
        return {
            "size": 0,
            "population": 0,
            "sample": [],
            "context_dependent": compiled.needs_request,
        }
    members = evaluate_tree(tree, pop)
    return {
        "size": int(members.sum()),
        "population": int(pop.n),
        "sample": [
            _shown(str(s), customers_in_clear) for s in pop.e.subjects[members][:SAMPLE_SIZE]
        ],
        "context_dependent": compiled.needs_request,
    }
