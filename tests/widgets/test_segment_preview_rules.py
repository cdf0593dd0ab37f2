"""An editor's "show as segment" (`?sp_preview_segment=<slug>`) reaches the merchandising
rules limited to that segment on the storefront: eager widgets, lazy placeholders and
their partials show the list a member would see. Shoppers cannot use it, and a preview
is never answered from, or kept in, the fragment cache."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import User
from django.template import Context, Template
from django.test import Client, RequestFactory

from personalization_plugin.models import MerchandisingRule
from personalization_plugin.tracking.identity import Visitor

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
PARTIAL = "/widgets/p/new_arrivals/?limit=3"


@pytest.fixture
def vip_pin(catalog: list) -> str:
    """A VIP segment and a pin of the oldest product (never a new arrival on its own) to
    the first slot of new arrivals, for VIPs only."""
    from personalization_plugin.segments import engine
    from personalization_plugin.segments.models import Segment

    Segment.objects.create(slug="vip", name="VIP", rules={"rule": "repeat_buyer"})
    engine.forget_definitions()
    pinned = str(catalog[0].pk)
    MerchandisingRule.objects.create(
        action="pin",
        target_type="product",
        target_id=pinned,
        placement="new_arrivals",
        position=1,
        segment="vip",
    )
    return pinned


def products(html: str) -> list[str]:
    return re.findall(r'data-sp-product="([^"]+)"', html)


@pytest.fixture
def editor() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("ed", password="pw"))
    return client


def test_the_partial_shows_the_segments_pin_to_an_editor_previewing_it(editor, vip_pin):
    html = editor.get(PARTIAL + "&sp_preview_segment=vip", **HTMX).content.decode()
    assert products(html)[0] == vip_pin
    assert vip_pin not in products(editor.get(PARTIAL, **HTMX).content.decode())


def test_a_shopper_passing_the_preview_parameter_gets_the_list_for_everyone(vip_pin):
    html = Client().get(PARTIAL + "&sp_preview_segment=vip", **HTMX).content.decode()
    assert products(html) and vip_pin not in products(html)


def test_a_preview_of_another_segment_does_not_apply_the_vip_pin(editor, vip_pin):
    html = editor.get(PARTIAL + "&sp_preview_segment=new", **HTMX).content.decode()
    assert vip_pin not in products(html)


def test_a_preview_is_rendered_fresh_after_the_rule_changes(editor, vip_pin):
    assert (
        products(editor.get(PARTIAL + "&sp_preview_segment=vip", **HTMX).content.decode())[0]
        == vip_pin
    )
    MerchandisingRule.objects.all().delete()
    from personalization_plugin.serving import clear_caches

    clear_caches()  # the rule cache, as a save signal does; the fragment cache is not asked
    again = products(editor.get(PARTIAL + "&sp_preview_segment=vip", **HTMX).content.decode())
    assert vip_pin not in again


def _render(user, query: str, source: str) -> str:
    request = RequestFactory().get("/" + query)
    request.user = user
    request.visitor = Visitor(visitor_id="e" * 32)  # type: ignore[attr-defined]
    return Template("{% load storefront_widgets %}" + source).render(Context({"request": request}))


def test_an_eager_widget_applies_the_previewed_segments_pin(vip_pin):
    editor_user = User.objects.create_superuser("ed2", password="pw")
    tag = '{% recommendations "new_arrivals" limit=3 eager=True %}'
    assert products(_render(editor_user, "?sp_preview_segment=vip", tag))[0] == vip_pin
    assert vip_pin not in products(_render(editor_user, "", tag))


def test_a_lazy_placeholder_passes_the_preview_on_for_editors_only(vip_pin):
    from django.contrib.auth.models import AnonymousUser

    tag = '{% recommendations "new_arrivals" limit=3 %}'
    editor_user = User.objects.create_superuser("ed3", password="pw")
    url = re.search(r'hx-get="([^"]+)"', _render(editor_user, "?sp_preview_segment=vip", tag))
    assert url is not None
    query = parse_qs(urlsplit(url.group(1).replace("&amp;", "&")).query)
    assert query["sp_preview_segment"] == ["vip"] and query["limit"] == ["3"]
    shopper = _render(AnonymousUser(), "?sp_preview_segment=vip", tag)
    assert "sp_preview_segment" not in shopper
