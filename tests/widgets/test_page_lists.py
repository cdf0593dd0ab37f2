"""A page is one set of lists: widgets never repeat each other's products, the most
specific keeps its items, lazy partials agree without waiting for each other, and every
filled widget is titled for what it is and says how it was made."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.template import Context, Template
from django.test import Client, RequestFactory

from personalization_plugin.tracking.identity import Visitor
from storefront_widgets.params import WidgetParams

HTMX = {"HTTP_HX_REQUEST": "true"}
PRODUCT = re.compile(r'data-sp-product="([^"]+)"')


def render(source: str, visitor: Visitor | None = None, **context: Any) -> str:
    request = RequestFactory().get("/")
    request.visitor = visitor or Visitor(visitor_id="v" * 32)  # type: ignore[attr-defined]
    return Template("{% load storefront_widgets %}" + source).render(
        Context({"request": request, **context})
    )


def lists(html: str) -> dict[str, list[str]]:
    """Product ids per filled widget, by placement."""
    found: dict[str, list[str]] = {}
    for chunk in html.split('data-sp-placement="')[1:]:
        placement = chunk.split('"', 1)[0]
        body = chunk.split("</ul>", 1)[0]
        found[placement] = PRODUCT.findall(body)
    return found


def repeated(groups: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    twice: set[str] = set()
    for ids in groups.values():
        twice |= seen & set(ids)
        seen |= set(ids)
    return twice


def test_eager_widgets_on_one_page_never_repeat_a_product(catalog: list) -> None:
    html = render(
        '{% recommendations "new_arrivals" limit=8 eager=True %}{% trending limit=8 eager=True %}'
    )
    found = lists(html)
    assert len(found["new_arrivals"]) == 8 and len(found["trending"]) == 4  # 12 products
    assert repeated(found) == set()


def test_without_page_lists_the_same_widgets_would_repeat(catalog: list) -> None:
    """The baseline the exclusion fixes: rendered on separate pages, the lists overlap."""
    first = lists(render('{% recommendations "new_arrivals" limit=8 eager=True %}'))
    second = lists(render("{% trending limit=8 eager=True %}"))
    assert repeated({**first, **second})


def test_the_most_specific_widget_keeps_its_items_whatever_the_template_order(
    catalog: list,
) -> None:
    alone = lists(render('{% recommendations "new_arrivals" limit=8 eager=True %}'))
    html = render(
        "{% storefront_page %}{% trending limit=8 eager=True %}"
        '{% recommendations "new_arrivals" limit=8 eager=True %}{% end_storefront_page %}'
    )
    found = lists(html)
    assert found["new_arrivals"] == alone["new_arrivals"]
    assert repeated(found) == set() and len(found["trending"]) == 4
    assert html.index('data-sp-placement="trending"') < html.index(
        'data-sp-placement="new_arrivals"'
    ), "template order is kept on screen"


def test_the_page_passes_what_it_shows_itself(catalog: list) -> None:
    shown = [str(p.pk) for p in catalog[:6]]
    html = render(
        "{% storefront_page exclude=shown %}{% trending limit=8 eager=True %}"
        "{% end_storefront_page %}",
        shown=shown,
    )
    assert not set(lists(html)["trending"]) & set(shown)


def _placeholders(html: str) -> dict[str, dict[str, list[str]]]:
    out = {}
    for match in re.finditer(r'hx-get="([^"]+)"', html):
        url = urlsplit(match.group(1).replace("&amp;", "&"))
        out[url.path] = parse_qs(url.query)
    return out


def test_lazy_placeholders_name_the_widgets_above_them_not_their_products(catalog: list) -> None:
    html = render(
        "{% storefront_page %}{% trending limit=8 %}"
        '{% recommendations "new_arrivals" limit=8 %}{% end_storefront_page %}'
    )
    urls = _placeholders(html)
    assert "above" not in urls["/widgets/p/new_arrivals/"]
    assert urls["/widgets/p/trending/"]["above"] == ["new_arrivals?limit=8"]
    assert "data-sp-product" not in html  # the same for every visitor: cacheable
    other = Template(
        "{% load storefront_widgets %}{% storefront_page %}{% trending limit=8 %}"
        '{% recommendations "new_arrivals" limit=8 %}{% end_storefront_page %}'
    ).render(Context({"request": RequestFactory().get("/")}))
    assert other == html


def test_lazy_partials_agree_in_any_order(catalog: list) -> None:
    html = render(
        "{% storefront_page %}{% trending limit=8 %}"
        '{% recommendations "new_arrivals" limit=8 %}{% end_storefront_page %}'
    )
    client = Client()
    urls = [m.replace("&amp;", "&") for m in re.findall(r'hx-get="([^"]+)"', html)]
    found: dict[str, list[str]] = {}
    for url in reversed(urls):  # the lower-priority one first: it must not wait
        response = client.get(url, **HTMX)
        assert response.status_code == 200
        found.update(lists(response.content.decode()))
    assert len(found["new_arrivals"]) == 8 and len(found["trending"]) == 4
    assert repeated(found) == set()


def test_a_partial_takes_exclude_and_rejects_a_bad_one(catalog: list) -> None:
    client = Client()
    shown = ",".join(str(p.pk) for p in catalog[:10])
    body = client.get(f"/widgets/p/new_arrivals/?limit=8&exclude={shown}", **HTMX)
    assert set(lists(body.content.decode())["new_arrivals"]) == {str(p.pk) for p in catalog[10:]}
    bad = client.get("/widgets/p/trending/?above=nonsense", **HTMX)
    assert bad.status_code == 400 and "placement?query" in bad.content.decode()
    wrong = client.get("/widgets/p/trending/?fallback=everything", **HTMX)
    assert wrong.status_code == 400 and "fallback must be one of" in wrong.content.decode()


def test_a_stood_in_list_is_titled_for_what_it_is(catalog: list) -> None:
    html = render(
        '{% recommendations "for_you" limit=4 title="Picked for you" fallback="stand_in" '
        "eager=True %}"
    )
    assert "Picked for you" not in html
    assert ">From our range</h2>" in html
    assert 'data-sp-placement="for_you"' in html and 'data-sp-source="catalog"' in html


def test_for_you_without_history_renders_nothing_by_default(catalog: list) -> None:
    html = render('{% recommendations "for_you" limit=4 title="Picked for you" eager=True %}')
    assert html == ""


def test_the_placeholder_claims_no_title_before_the_list_is_known(catalog: list) -> None:
    html = render('{% recommendations "for_you" title="Picked for you" %}')
    assert 'class="sp-widget__title sp-visually-hidden"' in html


def test_every_filled_widget_explains_itself_with_a_privacy_link(catalog: list) -> None:
    html = render("{% trending limit=2 eager=True %}")
    assert '<details class="sp-why">' in html
    assert '<summary class="sp-why__summary">Why these products?</summary>' in html
    assert "same for every visitor" in html
    assert 'href="/personalization/privacy/"' in html


def test_the_privacy_link_follows_the_setting(catalog: list, settings: Any) -> None:
    settings.PERSONALIZATION_PRIVACY_URL = "/help/privacy/"
    assert 'href="/help/privacy/"' in render("{% trending limit=2 eager=True %}")


def test_cart_quantities_round_trip_through_the_partial_url() -> None:
    params = WidgetParams.build("cart", cart={"4": 2, "5": 1})
    assert parse_qs(params.query_string())["cart"] == ["4:2,5"]
    again = WidgetParams.from_query("cart", {"cart": "4:2,5", "limit": "8"})
    assert again.cart_quantities == {"4": 2, "5": 1}
    spec = WidgetParams.from_spec(params.spec())
    assert spec.cart_quantities == {"4": 2, "5": 1}
