"""Rule-tree validation under fuzzing that knows the rule registry: every draw names a real
rule kind with its own parameters, valued near, at and beyond their bounds, as NaN and
infinities, or with the wrong type. (Drawing rule names and parameter names apart, the old
fuzz test almost never built `spent_at_least` with an `amount` below 0, which crashed the
message formatting with a TypeError: a 500 in the admin.) Each tree either compiles to a
predicate that evaluates, with every parameter inside its bounds, or is an InvalidRuleTree
that names the place; the admin form shows that message and saves nothing."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from personalization_plugin.core.exceptions import InvalidRuleTree
from personalization_plugin.profiles.profile import Profile, build_from_db
from personalization_plugin.segments.admin import SegmentForm
from personalization_plugin.segments.context import EvalContext
from personalization_plugin.segments.models import Segment
from personalization_plugin.segments.rules import RULES, Param, compile_tree

pytestmark = pytest.mark.django_db
FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
wrong_types = st.one_of(
    st.none(), st.booleans(), st.text(max_size=5), st.lists(st.integers(), max_size=2), st.just({})
)


def _numbers(spec: Param, integers: bool) -> st.SearchStrategy[Any]:
    """Values at, just inside and just beyond each bound, and anywhere."""
    edges: list[float] = [0, -1, 1, -5, 10**6, -(10**6)]
    for bound in (spec.low, spec.high):
        if bound is not None:
            edges += [bound, bound - 1, bound + 1, bound - 0.5, bound + 0.5]
    near = st.sampled_from([int(e) if integers else e for e in edges])
    if integers:
        return near | st.integers() | st.integers(min_value=10**300, max_value=10**400)
    return near | st.floats(allow_nan=True, allow_infinity=True) | st.integers()


def values_for(spec: Param) -> st.SearchStrategy[Any]:
    """What an owner (or an attacker) might type for one parameter of this kind."""
    if spec.kind == "int":
        right = _numbers(spec, integers=True)
    elif spec.kind == "float":
        right = _numbers(spec, integers=False)
    elif spec.kind == "bool":
        right = st.booleans()
    elif spec.kind in ("str", "choice"):
        right = st.sampled_from(spec.choices) if spec.choices else st.text(max_size=20)
        right = right | st.just("") | st.just("  ")
    else:  # str_list
        items = st.sampled_from(spec.choices) if spec.choices else st.text(max_size=8)
        right = st.lists(items | st.text(max_size=4), max_size=4) | items
    return right | wrong_types


def leaf_of(name: str) -> st.SearchStrategy[dict[str, Any]]:
    params = RULES[name].params
    return st.fixed_dictionaries(
        {"rule": st.just(name)}, optional={p: values_for(spec) for p, spec in params.items()}
    )


leaves = st.sampled_from(sorted(RULES)).flatmap(leaf_of)
trees = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.builds(lambda xs: {"all": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda xs: {"any": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda x: {"not": x}, inner),
    ),
    max_leaves=6,
)


def assert_in_bounds(tree: Any) -> None:
    """Every numeric parameter of every leaf of a tree that compiled is a finite number
    within its kind's bounds."""
    if "rule" in tree:
        for name, spec in RULES[tree["rule"]].params.items():
            value = tree.get(name, spec.default)
            if spec.kind in ("int", "float"):
                assert math.isfinite(value), (tree, name)
                assert spec.low is None or value >= spec.low, (tree, name)
                assert spec.high is None or value <= spec.high, (tree, name)
        return
    for child in tree.get("all") or tree.get("any") or [tree.get("not")]:
        assert_in_bounds(child)


@FUZZ
@given(tree=trees)
def test_a_tree_of_real_rules_is_either_valid_and_evaluates_or_a_clear_error(tree: Any) -> None:
    try:
        compiled = compile_tree(tree)
    except InvalidRuleTree as exc:
        message = str(exc)
        assert message.startswith("rules") and len(message) < 2000, message
        return
    assert_in_bounds(tree)
    assert compiled.match(EvalContext(profile=Profile(build_from_db("c:fuzz")))) in (True, False)


@FUZZ
@given(tree=trees)
def test_the_admin_form_shows_a_message_for_every_invalid_tree(tree: Any) -> None:
    form = SegmentForm(
        data={
            "name": "Fuzz",
            "slug": "fuzz",
            "priority": "1",
            "enabled": "on",
            "rules": json.dumps(tree),  # NaN and Infinity as Python's json writes them
        }
    )
    try:
        compile_tree(json.loads(json.dumps(tree)))
    except InvalidRuleTree as exc:
        assert not form.is_valid()
        assert str(exc) in " ".join(form.errors["rules"])
    else:
        assert form.is_valid(), form.errors


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-5", "rules.amount must be at least 0, got -5.0."),
        ("NaN", "rules.amount must be a finite number, got nan."),
        ("Infinity", "rules.amount must be a finite number, got inf."),
    ],
)
def test_an_out_of_range_amount_in_the_admin_is_a_message_not_a_500(
    client: Any, amount: str, message: str
) -> None:
    client.force_login(User.objects.create_superuser("admin", password="pw"))
    response = client.post(
        reverse("personalization_segments:add"),
        {
            "name": "Spent at least",
            "slug": "spent-at-least",
            "priority": "5",
            "enabled": "on",
            "rules": '{"rule": "spent_at_least", "amount": AMOUNT}'.replace("AMOUNT", amount),
        },
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Segment.objects.filter(slug="spent-at-least").exists()


@pytest.mark.parametrize(
    "tree",
    [
        {"rule": "spent_at_least", "amount": -5},
        {"rule": "spent_at_least", "amount": float("nan")},
        {"rule": "score", "score": "churn_risk", "value": float("nan")},
        {"rule": "at_risk", "factor": float("inf")},
        {"rule": "top_spenders", "percent": 10**400},
    ],
)
def test_non_finite_or_unbounded_numbers_are_refused_with_the_place(tree: dict) -> None:
    with pytest.raises(InvalidRuleTree, match=r"^rules\.\w+ must be"):
        compile_tree(tree)
