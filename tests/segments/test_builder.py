"""The segment builder: typed rows for a rule tree and back, its actions, the htmx endpoint
with a live count from the batch evaluator, and the admin form that carries it."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from personalization_plugin.segments import builder, sizes
from personalization_plugin.segments.models import Segment

from .factories import event, orders

pytestmark = pytest.mark.django_db
URL = "/admin/personalization/segment-builder/"
TREE = {
    "all": [
        {"rule": "loyal", "min_orders": 3},
        {"any": [{"rule": "viewed_category", "category": "cookware"}, {"not": {"rule": "lapsed"}}]},
    ]
}


@pytest.fixture(autouse=True)
def _fresh_population():
    builder.forget_population()
    yield
    builder.forget_population()


@pytest.fixture
def owner(client):
    client.force_login(User.objects.create_superuser("owner", password="pw"))
    return client


def _fields(tree: dict) -> dict[str, str]:
    """The form fields a browser would post for a tree, as the builder renders them."""
    state = builder.rows_from_tree(tree)
    assert state is not None
    data = {"sb-op": state.op, "sb-rows": str(len(state.rows)), "sb-field": "rules"}
    for row in state.rows:
        if row.is_group:
            data |= {f"sb-{row.path}-type": "group", f"sb-{row.path}-op": row.op}
            data[f"sb-{row.path}-n"] = str(len(row.rules))
            rules = row.rules
        else:
            rules = [row]
        for rule in rules:
            data[f"sb-{rule.path}-kind"] = rule.kind
            if rule.negated:
                data[f"sb-{rule.path}-not"] = "on"
            for field in rule.fields():
                if field["kind"] == "bool":
                    if field["value"]:
                        data[field["input"]] = "on"
                else:
                    data[field["input"]] = str(field["value"])
    return data


def test_a_two_level_tree_becomes_rows_and_back() -> None:
    state = builder.state_from_post(_fields(TREE))
    expected = {
        "all": [
            {"rule": "loyal", "min_orders": 3},
            {
                "any": [
                    {"rule": "viewed_category", "category": "cookware", "min_views": 1, "days": 30},
                    {"not": {"rule": "lapsed", "days": 180}},
                ]
            },
        ]
    }
    assert state.tree() == expected


def test_each_rule_has_its_own_typed_fields() -> None:
    (rule,) = builder.rows_from_tree({"rule": "loyal", "min_orders": 3}).rows
    (field,) = rule.fields()
    assert (field["name"], field["kind"], field["value"], field["low"]) == (
        "min_orders",
        "int",
        3,
        1,
    )


def test_a_deeper_tree_is_left_to_the_json_view() -> None:
    deep = {"all": [{"any": [{"all": [{"rule": "loyal"}]}]}]}
    assert builder.rows_from_tree(deep) is None


def test_a_bad_number_is_reported_with_its_place() -> None:
    data = _fields({"all": [{"rule": "loyal", "min_orders": 3}]}) | {"sb-0-p-min_orders": "3x"}
    tree = builder.state_from_post(data).tree()
    assert (
        builder.validation_error(tree)
        == "rules.all[0].min_orders must be a whole number, got '3x'."
    )


def test_add_a_rule_and_a_group_then_remove_the_first_rule() -> None:
    data = _fields({"all": [{"rule": "loyal", "min_orders": 3}]})
    state = builder.state_from_post(data | {"sb-action": "add_group"})
    assert [row.is_group for row in state.rows] == [False, True]
    state = builder.state_from_post(_fields(state.tree()) | {"sb-action": "remove:0"})
    assert state.tree() == {"all": [{"any": [{"rule": "repeat_buyer"}]}]}


def test_the_endpoint_counts_members_like_the_nightly_sizes(owner) -> None:
    orders("1", [1, 20, 40, 60])
    orders("2", [2])
    event("view", visitor="v" * 32, product_id="9")
    tree = {"rule": "loyal", "min_orders": 3}
    Segment.objects.create(name="Three orders", slug="three", rules=tree)
    nightly = {row["slug"]: row["size"] for row in sizes.compute(save=False)}
    html = owner.post(URL, _fields(tree)).content.decode()
    assert f"{nightly['three']} of 3 shoppers match now." in html
    assert "customer 1" in html


def test_the_sample_never_shows_a_visitor_id(owner) -> None:
    event("view", visitor="f" * 32, product_id="9")
    html = owner.post(URL, _fields({"rule": "returning_visitor"} | {})).content.decode()
    html += owner.post(URL, _fields({"not": {"rule": "loyal"}})).content.decode()
    assert "anonymous visitor" in html and "f" * 32 not in html


def test_the_endpoint_shows_the_problem_instead_of_a_count(owner) -> None:
    data = _fields({"all": [{"rule": "loyal", "min_orders": 3}]}) | {"sb-0-p-min_orders": "0"}
    html = owner.post(URL, data).content.decode()
    assert "rules.all[0].min_orders must be between 1 and 10000" in html
    assert "shoppers match now" not in html


def test_the_json_view_feeds_the_builder(owner) -> None:
    data = {"sb-action": "json", "sb-field": "rules", "rules": json.dumps(TREE)}
    html = owner.post(URL, data).content.decode()
    assert 'name="sb-1-0-kind"' in html and 'name="sb-1-op"' in html


def test_json_that_does_not_parse_is_kept_with_a_message(owner) -> None:
    data = {"sb-action": "json", "sb-field": "rules", "rules": '{"all": ['}
    html = owner.post(URL, data).content.decode()
    assert "The JSON does not parse" in html and "{&quot;all&quot;: [" in html


def test_the_endpoint_needs_permission_to_edit_segments(client) -> None:
    user = User.objects.create_user("clerk", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    response = client.post(URL, _fields(TREE))
    # Wagtail turns PermissionDenied in admin views into a redirect to the dashboard.
    assert (response.status_code, response["Location"]) == (302, "/admin/")


def test_the_add_form_shows_the_builder_and_loads_htmx(owner) -> None:
    html = owner.get(reverse("personalization_segments:add")).content.decode()
    assert 'id="sp-builder"' in html and "personalization_plugin/htmx.min.js" in html


def test_saving_the_form_keeps_the_tree_the_builder_wrote(owner) -> None:
    tree = builder.state_from_post(_fields(TREE)).tree()
    form = {"name": "Fans", "slug": "fans", "description": "", "enabled": "on", "priority": "1"}
    response = owner.post(
        reverse("personalization_segments:add"), form | {"rules": json.dumps(tree)}
    )
    assert response.status_code == 302
    assert Segment.objects.get(slug="fans").rules == tree


def _editor(client, *perms: str):
    """A staff user who may edit segments, plus the given permissions."""
    user = User.objects.create_user("editor", password="pw", is_staff=True)
    codenames = ["access_admin", "change_segment", *perms]
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return client


def test_the_sample_names_customers_only_for_staff_who_may_see_customers(client) -> None:
    orders("4242", [1, 20, 40])
    tree = {"rule": "loyal", "min_orders": 3}
    editor = _editor(client)
    html = editor.post(URL, _fields(tree)).content.decode()
    assert "1 of 1 shoppers match now." in html
    assert "customer " in html and "4242" not in html
    pseudonym = builder.preview(tree)["sample"][0]
    assert pseudonym in html  # stable: the same digest on every edit


def test_staff_who_may_see_customers_see_their_ids_in_the_sample(client) -> None:
    orders("4242", [1, 20, 40])
    editor = _editor(client, "view_customers")
    html = editor.post(URL, _fields({"rule": "loyal", "min_orders": 3})).content.decode()
    assert "customer 4242" in html
