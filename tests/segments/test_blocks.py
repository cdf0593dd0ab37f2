"""Content per segment on pages, the lazy slot partial, the tag, and GraphQL agreeing."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.template import Context, Template, TemplateSyntaxError

from personalization_plugin.segments import slots

from .factories import orders, request

pytestmark = pytest.mark.django_db

LOYAL, NEW, DEFAULT = "Thanks for coming back, friend", "Welcome, first-timer", "Our bestsellers"


def variants_block(
    *, lazy: bool = False, order: tuple[str, ...] = ("new-visitors", "loyal")
) -> dict:
    texts = {"new-visitors": NEW, "loyal": LOYAL, "repeat-buyers": "Repeat text"}
    return {
        "type": "segment_variants",
        "value": {
            "slot": "home_hero",
            "lazy": lazy,
            "variants": [
                {
                    "type": "item",
                    "id": f"variant-{slug}",
                    "value": {
                        "segment": slug,
                        "content": [{"type": "text", "value": f"<p>{texts[slug]}</p>"}],
                    },
                }
                for slug in order
            ],
            "default": [{"type": "text", "value": f"<p>{DEFAULT}</p>"}],
        },
    }


@pytest.fixture
def home():
    from shop.models import HomePage

    def publish(**options):
        page = HomePage.objects.get(slug="home")
        page.body = json.dumps([variants_block(**options)])
        page.save()
        slots.forget()
        return page

    return publish


@pytest.fixture
def loyal_user():
    user = User.objects.create_user("loyal", password="pw")
    orders(str(user.pk), [100, 80, 60, 40, 20])
    return user


def test_new_visitor_sees_the_new_visitor_variant(client, home):
    home()
    html = client.get("/").content.decode()
    assert NEW in html and LOYAL not in html and DEFAULT not in html


def test_loyal_customer_sees_the_loyal_variant(client, home, loyal_user):
    home()
    client.force_login(loyal_user)
    html = client.get("/").content.decode()
    assert LOYAL in html and NEW not in html


def test_highest_priority_segment_wins_whatever_the_variant_order(client, home, loyal_user):
    home(order=("repeat-buyers", "loyal"))
    client.force_login(loyal_user)
    assert LOYAL in client.get("/").content.decode()


def test_nobody_matching_sees_the_default(client, home):
    home(order=("loyal",))
    assert DEFAULT in client.get("/").content.decode()


def test_editor_preview_shows_the_chosen_segment(client, home):
    home()
    editor = User.objects.create_superuser("ed", password="pw")
    client.force_login(editor)
    assert LOYAL in client.get("/?sp_preview_segment=loyal").content.decode()


def test_lazy_block_renders_a_cacheable_placeholder_with_the_default(client, home):
    home(lazy=True)
    html = client.get("/").content.decode()
    assert 'hx-get="/personalization/segments/slot/home_hero/"' in html
    assert DEFAULT in html and NEW not in html


def test_slot_partial_renders_the_visitors_variant_privately(client, home, loyal_user):
    home(lazy=True)
    client.force_login(loyal_user)
    response = client.get("/personalization/segments/slot/home_hero/")
    assert response.status_code == 200
    assert LOYAL in response.content.decode()
    assert "private" in response["Cache-Control"]
    assert "Cookie" in response["Vary"]


def test_unknown_slot_is_a_404_saying_what_to_do(client, home):
    home()
    response = client.get("/personalization/segments/slot/nope/")
    assert response.status_code == 404
    assert "slot name 'nope'" in response.content.decode()


def graphql(client, query: str) -> dict:
    response = client.post("/graphql/", {"query": query}, content_type="application/json")
    return response.json()


@pytest.mark.parametrize("signed_in", [False, True])
def test_graphql_slot_matches_the_template_and_partial(client, home, loyal_user, signed_in):
    home()
    if signed_in:
        client.force_login(loyal_user)
    client.get("/")  # sets the visitor cookie, as a browser would have it
    page = client.get("/").content.decode()
    partial = client.get("/personalization/segments/slot/home_hero/")
    data = graphql(
        client, '{ mySegments { slug } personalizedSlot(name: "home_hero") { segment html } }'
    )["data"]
    slot = data["personalizedSlot"]
    assert slot["html"].strip() in page
    assert slot["html"] == partial.content.decode()
    assert slot["segment"] == partial["X-Segment"] == ("loyal" if signed_in else "new-visitors")
    slugs = [s["slug"] for s in data["mySegments"]]
    assert ("loyal" in slugs) is signed_in


def test_graphql_unknown_slot_is_an_error(client, home):
    home()
    body = graphql(client, '{ personalizedSlot(name: "nope") { html } }')
    assert "slot name 'nope'" in body["errors"][0]["message"]


def render_tag(text: str, req) -> str:
    template = Template("{% load storefront_widgets %}" + text)
    return template.render(Context({"request": req} if req is not None else {}))


def test_if_segment_tag_renders_the_member_branch(loyal_user):
    from personalization_plugin.tracking.identity import Visitor

    req = request(visitor=Visitor(visitor_id="x", customer_id=str(loyal_user.pk)))
    assert render_tag('{% if_segment "loyal" %}L{% else %}N{% endif_segment %}', req) == "L"


def test_if_segment_tag_renders_else_for_non_members_and_without_request():
    from personalization_plugin.tracking.identity import Visitor

    req = request(visitor=Visitor(visitor_id="x", is_new=True))
    assert render_tag('{% if_segment "loyal" %}L{% else %}N{% endif_segment %}', req) == "N"
    assert render_tag('{% if_segment "loyal" %}L{% endif_segment %}', None) == ""


def test_if_segment_tag_accepts_several_slugs():
    from personalization_plugin.tracking.identity import Visitor

    req = request(visitor=Visitor(visitor_id="x", is_new=True))
    assert render_tag('{% if_segment "loyal" "new-visitors" %}Y{% endif_segment %}', req) == "Y"


def test_if_segment_tag_without_a_slug_is_a_syntax_error():
    with pytest.raises(TemplateSyntaxError, match="needs at least one segment slug"):
        render_tag("{% if_segment %}x{% endif_segment %}", None)
