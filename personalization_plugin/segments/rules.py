"""Rule kinds and the rule-tree language: validate once, compile to plain closures.

A rule tree is JSON. Leaves name a rule kind with its parameters; branches combine:

    {"all": [node, ...]}        every child matches (AND)
    {"any": [node, ...]}        at least one child matches (OR)
    {"not": node}               the child does not match
    {"rule": "loyal", "min_orders": 5}
    {"rule": "viewed_category", "category": "cookware", "min_views": 3, "days": 30}
    {"rule": "score", "score": "churn_risk", "op": ">=", "value": 0.7}

`compile_tree` validates and returns a `Compiled` whose `match(ctx)` is a chain of
closures over precomputed parameters: no parsing, lookups or queries at request time.
Every problem raises InvalidRuleTree naming the path (`all[1].min_views`) and the fix.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from personalization_plugin.core.events import ACTIVITY_EVENTS
from personalization_plugin.core.exceptions import InvalidRuleTree
from personalization_plugin.segments.context import EvalContext

Predicate = Callable[[EvalContext], bool]
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SCORES = ("churn_risk", "purchase_propensity")
# Comparisons work on floats (per request) and numpy arrays (batch).
OPS: dict[str, Callable[[Any, Any], Any]] = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
}
MAX_DEPTH = 8
MAX_NODES = 64


@dataclass(frozen=True)
class Param:
    """One parameter of a rule kind: its type, default (None: required) and bounds."""

    kind: str  # "int", "float", "str", "bool", "str_list", "choice"
    default: Any = None
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    help: str = ""


@dataclass(frozen=True)
class RuleKind:
    name: str
    group: str  # lifecycle, value, behavior, context, score
    label: StrOrPromise  # gettext_lazy: shown in the owner's language
    params: dict[str, Param]
    build: Callable[[dict[str, Any]], Predicate]
    # Event types the rule reads (for the per-rule database baseline); () for context rules.
    event_types: tuple[str, ...] = ()

    @property
    def needs_request(self) -> bool:
        return self.group == "context"


RULES: dict[str, RuleKind] = {}


def rule(
    name: str, group: str, label: StrOrPromise, event_types: tuple[str, ...] = (), **params: Param
):
    def register(build: Callable[[dict[str, Any]], Predicate]) -> Callable[..., Predicate]:
        RULES[name] = RuleKind(name, group, label, params, build, event_types)
        return build

    return register


ORDERS = ("purchase",)
ALL_ACTIVITY = tuple(str(e) for e in ACTIVITY_EVENTS)


# Lifecycle ---------------------------------------------------------------------------


@rule("new_visitor", "lifecycle", _("New visitor: no activity before today"), ALL_ACTIVITY)
def _new_visitor(p: dict[str, Any]) -> Predicate:
    return lambda ctx: not ctx.profile.active_before(ctx.today)


@rule(
    "returning_visitor", "lifecycle", _("Returning visitor: active on an earlier day"), ALL_ACTIVITY
)
def _returning(p: dict[str, Any]) -> Predicate:
    return lambda ctx: ctx.profile.active_before(ctx.today)


@rule("first_time_buyer", "lifecycle", _("Exactly one order"), ORDERS)
def _first_time(p: dict[str, Any]) -> Predicate:
    return lambda ctx: ctx.profile.order_count == 1


@rule("repeat_buyer", "lifecycle", _("Two orders or more"), ORDERS)
def _repeat(p: dict[str, Any]) -> Predicate:
    return lambda ctx: ctx.profile.order_count >= 2


@rule("loyal", "lifecycle", _("At least N orders"), ORDERS, min_orders=Param("int", 5, 1, 10_000))
def _loyal(p: dict[str, Any]) -> Predicate:
    n = p["min_orders"]
    return lambda ctx: ctx.profile.order_count >= n


@rule(
    "at_risk",
    "lifecycle",
    _("Past their usual buying interval (days since last order > factor x median interval)"),
    ORDERS,
    factor=Param("float", 1.5, 1.0, 100.0),
    min_days=Param("int", 7, 0, 3650, help="Never at risk sooner than this many days"),
)
def _at_risk(p: dict[str, Any]) -> Predicate:
    factor, min_days = p["factor"], p["min_days"]

    def match(ctx: EvalContext) -> bool:
        interval = ctx.profile.median_interval_days
        since = ctx.profile.days_since_last_order(ctx.ts)
        if interval is None or since is None:
            return False
        return since > max(factor * interval, float(min_days))

    return match


@rule(
    "lapsed",
    "lifecycle",
    _("No order for at least N days"),
    ORDERS,
    days=Param("int", 180, 1, 3650),
)
def _lapsed(p: dict[str, Any]) -> Predicate:
    days = p["days"]

    def match(ctx: EvalContext) -> bool:
        since = ctx.profile.days_since_last_order(ctx.ts)
        return since is not None and since >= days

    return match


# Value ---------------------------------------------------------------------------------


@rule(
    "rfm",
    "value",
    _("RFM quintiles (1-5, 5 best) at least these values; needs `personalization_segments`"),
    ORDERS,
    min_recency=Param("int", 1, 1, 5),
    min_frequency=Param("int", 1, 1, 5),
    min_monetary=Param("int", 1, 1, 5),
)
def _rfm(p: dict[str, Any]) -> Predicate:
    from personalization_plugin.segments.breakpoints import rfm_scores

    wanted = (p["min_recency"], p["min_frequency"], p["min_monetary"])

    def match(ctx: EvalContext) -> bool:
        scores = rfm_scores(ctx.population, ctx.profile, ctx.ts)
        return scores is not None and all(s >= w for s, w in zip(scores, wanted, strict=True))

    return match


@rule(
    "top_spenders",
    "value",
    _("Among the top X% of customers by spend; needs `personalization_segments`"),
    ORDERS,
    percent=Param("float", 10.0, 0.1, 100.0),
)
def _top_spenders(p: dict[str, Any]) -> Predicate:
    from personalization_plugin.segments.breakpoints import spend_threshold

    percent = p["percent"]

    def match(ctx: EvalContext) -> bool:
        threshold = spend_threshold(ctx.population, percent)
        return threshold is not None and ctx.profile.spend > 0 and ctx.profile.spend >= threshold

    return match


@rule(
    "spent_at_least",
    "value",
    _("Total spend at least an amount"),
    ORDERS,
    amount=Param("float", None, 0),
)
def _spent(p: dict[str, Any]) -> Predicate:
    amount = p["amount"]
    return lambda ctx: ctx.profile.order_count > 0 and ctx.profile.spend >= amount


# Behavior ------------------------------------------------------------------------------


@rule(
    "viewed_category",
    "behavior",
    _("Viewed a category (its pages or products) at least n times in d days"),
    ("view", "category_view"),
    category=Param("str"),
    min_views=Param("int", 1, 1, 10_000),
    days=Param("int", 30, 1, 90),
)
def _viewed_category(p: dict[str, Any]) -> Predicate:
    category, n, days = p["category"], p["min_views"], p["days"]
    return lambda ctx: ctx.profile.category_views(category, ctx.today - days + 1) >= n


@rule(
    "viewed_without_cart",
    "behavior",
    _("Viewed a product at least n times in d days without adding it to the cart"),
    ("view", "cart_add"),
    min_views=Param("int", 3, 1, 1000),
    days=Param("int", 30, 1, 90),
)
def _viewed_without_cart(p: dict[str, Any]) -> Predicate:
    n, seconds = p["min_views"], p["days"] * 86400.0
    return lambda ctx: bool(ctx.profile.viewed_not_carted(n, ctx.ts - seconds))


@rule(
    "abandoned_cart",
    "behavior",
    _("Has products in the cart, untouched for at least N minutes, not ordered"),
    ("cart_add", "cart_remove", "purchase"),
    idle_minutes=Param("int", 60, 1, 60 * 24 * 90),
)
def _abandoned_cart(p: dict[str, Any]) -> Predicate:
    idle = p["idle_minutes"] * 60.0

    def match(ctx: EvalContext) -> bool:
        profile = ctx.profile
        return bool(profile.raw["c"]) and ctx.ts - profile.cart_touched >= idle

    return match


@rule(
    "searched",
    "behavior",
    _("Searched for a term (substring, any case) in the last d days"),
    ("search",),
    term=Param("str"),
    days=Param("int", 30, 1, 365),
)
def _searched(p: dict[str, Any]) -> Predicate:
    term, seconds = p["term"], p["days"] * 86400.0
    return lambda ctx: ctx.profile.searched(term, ctx.ts - seconds)


# Context -------------------------------------------------------------------------------


@rule(
    "referrer",
    "context",
    _("Came from a site whose host contains a text"),
    host_contains=Param("str"),
)
def _referrer(p: dict[str, Any]) -> Predicate:
    needle = p["host_contains"].lower()
    return lambda ctx: ctx.request is not None and needle in ctx.request.referrer_host


@rule(
    "utm",
    "context",
    _("Arrived with UTM parameters (each given one must equal, any case)"),
    campaign=Param("str", ""),
    source=Param("str", ""),
    medium=Param("str", ""),
)
def _utm(p: dict[str, Any]) -> Predicate:
    wanted = {k: v.lower() for k, v in p.items() if v}

    def match(ctx: EvalContext) -> bool:
        req = ctx.request
        if req is None:
            return False
        have = {"campaign": req.utm_campaign, "source": req.utm_source, "medium": req.utm_medium}
        return all(have[k] == v for k, v in wanted.items())

    return match


@rule(
    "device",
    "context",
    _("Device type from the User-Agent"),
    devices=Param("str_list", None, choices=("mobile", "tablet", "desktop", "bot")),
)
def _device(p: dict[str, Any]) -> Predicate:
    devices = frozenset(p["devices"])
    return lambda ctx: ctx.request is not None and ctx.request.device in devices


@rule(
    "time_of_day",
    "context",
    _("Local time (store TIME_ZONE) from hour (inclusive) to hour (exclusive); wraps midnight"),
    from_hour=Param("int", None, 0, 23),
    to_hour=Param("int", None, 0, 24),
)
def _time_of_day(p: dict[str, Any]) -> Predicate:
    start, end = p["from_hour"], p["to_hour"]

    def match(ctx: EvalContext) -> bool:
        hour = ctx.local_now.hour
        return start <= hour < end if start <= end else hour >= start or hour < end

    return match


@rule(
    "day_of_week",
    "context",
    _("Local day of week (store TIME_ZONE)"),
    days=Param("str_list", None, choices=DAY_NAMES),
)
def _day_of_week(p: dict[str, Any]) -> Predicate:
    wanted = frozenset(DAY_NAMES.index(d) for d in p["days"])
    return lambda ctx: ctx.local_now.weekday() in wanted


@rule("signed_in", "context", _("Signed in (or, with value false, not)"), value=Param("bool", True))
def _signed_in(p: dict[str, Any]) -> Predicate:
    value = p["value"]
    return lambda ctx: ctx.request is not None and ctx.request.signed_in is value


# Scores --------------------------------------------------------------------------------


@rule(
    "score",
    "score",
    _("A customer score compared with a value; needs `personalization_scores`"),
    ALL_ACTIVITY,
    score=Param("choice", None, choices=SCORES),
    op=Param("choice", ">=", choices=tuple(OPS)),
    value=Param("float", None, 0.0, 1.0),
)
def _score(p: dict[str, Any]) -> Predicate:
    name, compare, value = p["score"], OPS[p["op"]], p["value"]

    def match(ctx: EvalContext) -> bool:
        score = ctx.scores.get(name)
        return score is not None and compare(score, value)

    return match


# Validation and compilation -----------------------------------------------------------


def _clean_param(path: str, name: str, spec: Param, value: Any) -> Any:
    where = f"{path}.{name}"
    if spec.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidRuleTree(f"{where} must be a whole number, got {value!r}.")
    elif spec.kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidRuleTree(f"{where} must be a number, got {value!r}.")
        try:
            value = float(value)
        except OverflowError:  # an int beyond any float
            value = math.inf
        if not math.isfinite(value):  # NaN compares false with everything: no bound holds
            raise InvalidRuleTree(f"{where} must be a finite number, got {value!r}.")
    elif spec.kind == "bool":
        if not isinstance(value, bool):
            raise InvalidRuleTree(f"{where} must be true or false, got {value!r}.")
    elif spec.kind in ("str", "choice"):
        if not isinstance(value, str) or (spec.default is None and not value.strip()):
            raise InvalidRuleTree(f"{where} must be a non-empty text, got {value!r}.")
        value = value.strip()
        if spec.kind == "choice" and value not in spec.choices:
            raise InvalidRuleTree(
                f"{where} must be one of {', '.join(spec.choices)}; got {value!r}."
            )
    elif spec.kind == "str_list":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise InvalidRuleTree(f"{where} must be a non-empty list of texts, got {value!r}.")
        value = [
            v.strip().lower()[:3] if spec.choices == DAY_NAMES else v.strip().lower() for v in value
        ]
        bad = [v for v in value if spec.choices and v not in spec.choices]
        if bad:
            raise InvalidRuleTree(f"{where}: {bad[0]!r} is not one of {', '.join(spec.choices)}.")
    if spec.low is not None and value < spec.low or spec.high is not None and value > spec.high:
        raise InvalidRuleTree(f"{where} must be {_bounds_text(spec)}, got {value!r}.")
    return value


def _bounds_text(spec: Param) -> str:
    """ "between 1 and 10000", "at least 0" or "at most 24": a bound may be open (None)."""
    if spec.low is not None and spec.high is not None:
        return f"between {spec.low:g} and {spec.high:g}"
    if spec.low is not None:
        return f"at least {spec.low:g}"
    return f"at most {spec.high:g}"


def _leaf(path: str, node: dict[str, Any]) -> tuple[Predicate, RuleKind, dict[str, Any]]:
    name = node["rule"]
    kind = RULES.get(name) if isinstance(name, str) else None
    if kind is None:
        raise InvalidRuleTree(
            f"{path}: unknown rule {name!r}; use one of: {', '.join(sorted(RULES))}."
        )
    unknown = sorted(set(node) - {"rule"} - set(kind.params))
    if unknown:
        known = ", ".join(sorted(kind.params)) or "none"
        raise InvalidRuleTree(
            f"{path}: rule {name!r} has no parameter {unknown[0]!r} (its parameters: {known})."
        )
    params: dict[str, Any] = {}
    for pname, spec in kind.params.items():
        if pname not in node:
            if spec.default is None:
                raise InvalidRuleTree(f"{path}: rule {name!r} needs {pname!r} ({spec.kind}).")
            params[pname] = spec.default
        else:
            params[pname] = _clean_param(path, pname, spec, node[pname])
    if name == "time_of_day" and params["from_hour"] == params["to_hour"]:
        raise InvalidRuleTree(
            f"{path}: from_hour and to_hour are equal; the window would be empty."
        )
    if name == "utm" and not any(params.values()):
        raise InvalidRuleTree(f"{path}: rule 'utm' needs at least one of campaign, source, medium.")
    return kind.build(params), kind, params


@dataclass
class Compiled:
    """A validated rule tree: `match(ctx)`, the rule kinds it uses, and whether it needs a request."""

    match: Predicate
    kinds: tuple[str, ...]
    needs_request: bool
    leaves: tuple[tuple[str, dict[str, Any], Predicate], ...]


def compile_tree(tree: Any) -> Compiled:
    """Validate a rule tree and compile it. Raises InvalidRuleTree saying where and why."""
    leaves: list[tuple[str, dict[str, Any], Predicate]] = []
    count = [0]

    def walk(node: Any, path: str, depth: int) -> Predicate:
        count[0] += 1
        if count[0] > MAX_NODES:
            raise InvalidRuleTree(
                f"The rule tree has more than {MAX_NODES} nodes; split the segment."
            )
        if depth > MAX_DEPTH:
            raise InvalidRuleTree(
                f"{path}: nested deeper than {MAX_DEPTH} levels; flatten the tree."
            )
        if not isinstance(node, dict):
            raise InvalidRuleTree(
                f'{path}: expected an object like {{"rule": ...}}, {{"all": [...]}}, '
                f'{{"any": [...]}} or {{"not": ...}}, got {type(node).__name__}.'
            )
        ops = [k for k in ("all", "any", "not", "rule") if k in node]
        if len(ops) != 1:
            raise InvalidRuleTree(
                f"{path}: an object needs exactly one of 'all', 'any', 'not', 'rule'; got keys "
                f"{', '.join(sorted(node)) or 'none'}."
            )
        op = ops[0]
        if op == "rule":
            predicate, kind, params = _leaf(path, node)
            leaves.append((kind.name, params, predicate))
            return predicate
        if len(node) != 1:
            extra = sorted(set(node) - {op})
            raise InvalidRuleTree(f"{path}: {op!r} takes no other keys; remove {extra[0]!r}.")
        if op == "not":
            inner = walk(node["not"], f"{path}.not", depth + 1)
            return lambda ctx: not inner(ctx)
        children = node[op]
        if not isinstance(children, list) or not children:
            raise InvalidRuleTree(f"{path}.{op} must be a non-empty list of rules.")
        parts = tuple(walk(c, f"{path}.{op}[{i}]", depth + 1) for i, c in enumerate(children))
        if len(parts) == 1:
            return parts[0]
        if op == "all":
            return lambda ctx: all(part(ctx) for part in parts)
        return lambda ctx: any(part(ctx) for part in parts)

    match = walk(tree, "rules", 0)
    kinds = tuple(name for name, _, _ in leaves)
    return Compiled(
        match=match,
        kinds=kinds,
        needs_request=any(RULES[k].needs_request for k in kinds),
        leaves=tuple(leaves),
    )


def validate_tree(tree: Any) -> None:
    """Raise InvalidRuleTree if `tree` is not a valid rule tree."""
    compile_tree(tree)
