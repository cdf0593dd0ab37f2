"""The template tags: lazy placeholders by default, eager inline lists, `as var`."""

from __future__ import annotations

import logging
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.test import RequestFactory

from personalization_plugin.tracking.identity import Visitor


class Elements(HTMLParser):
    """Collects every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def find(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [
            a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]


def parse(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    return parser


def render(source: str, **context: Any) -> str:
    request = RequestFactory().get("/")
    request.visitor = Visitor(visitor_id="v" * 32)  # type: ignore[attr-defined]
    return Template("{% load storefront_widgets %}" + source).render(
        Context({"request": request, **context})
    )


def test_lazy_tag_renders_a_placeholder_that_htmx_fills_when_revealed() -> None:
    html = render('{% recommendations "for_you" limit=8 title="Picked for you" %}')
    (section,) = parse(html).find("section")
    assert section["hx-trigger"] == "revealed"
    assert section["hx-swap"] == "outerHTML"
    url = urlsplit(section["hx-get"])
    assert url.path == "/widgets/p/for_you/"
    assert parse_qs(url.query) == {"limit": ["8"], "title": ["Picked for you"]}
    assert section["aria-busy"] == "true"


def test_lazy_tag_renders_the_same_markup_for_every_visitor(catalog: list) -> None:
    first = render('{% recommendations "for_you" %}')
    second = Template('{% load storefront_widgets %}{% recommendations "for_you" %}').render(
        Context({"request": RequestFactory().get("/")})
    )
    assert first == second
    assert "data-sp-product" not in first


def test_lazy_tag_passes_product_and_category_to_the_partial() -> None:
    html = render('{% recommendations "similar" product_id=pid category_id="garden" %}', pid=42)
    (section,) = parse(html).find("section")
    query = parse_qs(urlsplit(section["hx-get"]).query)
    assert query["product_id"] == ["42"] and query["category_id"] == ["garden"]


def test_limit_above_the_cap_is_capped_at_24() -> None:
    html = render('{% recommendations "trending" limit=500 %}')
    (section,) = parse(html).find("section")
    assert parse_qs(urlsplit(section["hx-get"]).query)["limit"] == ["24"]


def test_eager_tag_renders_the_list_inline(catalog: list) -> None:
    html = render('{% recommendations "trending" limit=3 title="Hot" eager=True %}')
    doc = parse(html)
    assert not doc.find("section", **{"hx-trigger": "revealed"})
    (ul,) = doc.find("ul")
    assert ul["data-sp-placement"] == "trending"
    assert len(ul["data-sp-recommendation-id"]) == 32
    assert "data-sp-model-version" in ul
    links = doc.find("a", **{"class": "sp-item__link"})
    assert [a["data-sp-position"] for a in links] == ["1", "2", "3"]
    assert all(a["data-sp-product"] for a in links)


def test_eager_items_show_image_with_alt_title_price_and_reason(catalog: list) -> None:
    html = render('{% recommendations "trending" limit=1 eager=True %}')
    (img,) = parse(html).find("img")
    product_id = parse(html).find("a")[0]["data-sp-product"]
    product = next(p for p in catalog if str(p.pk) == product_id)
    assert img["alt"] == product.title
    assert product.title in html
    assert f"€{product.price:.2f}" in html
    assert 'class="sp-item__reason"' in html


def test_list_has_list_semantics_and_an_accessible_name(catalog: list) -> None:
    html = render("{% trending limit=2 eager=True %}")
    doc = parse(html)
    (section,) = doc.find("section")
    (heading,) = doc.find("h2")
    assert section["aria-labelledby"] == heading["id"]
    # No views yet: the catalog stands in, and the heading says so (not "Trending now").
    assert ">From our range</h2>" in html and "Trending now" not in html
    assert doc.find("ul", role="list") and len(doc.find("li")) == 2


def test_as_var_hands_the_recommendation_list_to_custom_markup(catalog: list) -> None:
    html = render(
        '{% recommendations "similar" product_id=pid limit=4 fallback="stand_in" as recs %}'
        "{{ recs.placement }}|{{ recs.items|length }}|"
        "{% for item in recs.items %}{{ item.position }}{% endfor %}",
        pid=catalog[0].pk,
    )
    assert html == "similar|4|1234"


def test_placement_tags_fill_in_their_placement() -> None:
    html = render(
        "{% bought_together 7 %}{% cart_suggestions cart %}{% recently_viewed %}"
        '{% trending category_id="garden" %}',
        cart=["3", "4"],
    )
    urls = [urlsplit(s["hx-get"]) for s in parse(html).find("section")]
    assert [u.path for u in urls] == [
        "/widgets/p/bought_together/",
        "/widgets/p/cart/",
        "/widgets/p/recently_viewed/",
        "/widgets/p/trending/",
    ]
    assert parse_qs(urls[0].query)["product_id"] == ["7"]
    assert parse_qs(urls[1].query)["cart"] == ["3,4"]
    assert parse_qs(urls[3].query)["category_id"] == ["garden"]


def test_placement_tag_as_var_form(catalog: list) -> None:
    html = render("{% trending limit=2 as hot %}{{ hot.items|length }}")
    assert html == "2"


def test_unknown_literal_placement_is_a_template_syntax_error() -> None:
    with pytest.raises(TemplateSyntaxError, match="unknown placement 'for_me'"):
        render('{% recommendations "for_me" %}')


def test_unknown_option_is_a_template_syntax_error_that_lists_the_options() -> None:
    with pytest.raises(TemplateSyntaxError, match="unexpected keyword argument 'count'") as err:
        render('{% recommendations "for_you" count=3 %}')
    assert "options: product_id, category_id, cart, limit, title, layout, eager" in str(err.value)


def test_wrong_arguments_name_the_tags_usage() -> None:
    with pytest.raises(TemplateSyntaxError, match="too many positional") as err:
        render('{% recommendations "similar" 42 %}')
    assert 'Usage: {% recommendations "for_you" limit=8' in str(err.value)


def test_a_missing_placement_is_a_template_syntax_error() -> None:
    with pytest.raises(TemplateSyntaxError, match="'placement'"):
        render("{% recommendations limit=3 %}")


def test_the_same_option_twice_is_a_template_syntax_error() -> None:
    with pytest.raises(TemplateSyntaxError, match="multiple values for keyword argument 'limit'"):
        render('{% recommendations "for_you" limit=3 limit=4 %}')


def test_a_string_product_id_is_not_mistaken_for_a_placement() -> None:
    html = render('{% bought_together "sku-1" %}')
    (section,) = parse(html).find("section")
    assert parse_qs(urlsplit(section["hx-get"]).query)["product_id"] == ["sku-1"]


def test_a_bad_runtime_value_raises_with_debug_on(settings: Any) -> None:
    settings.DEBUG = True
    with pytest.raises(TemplateSyntaxError, match="limit must be a whole number"):
        render('{% recommendations "for_you" limit=n %}', n="many")


def test_an_unknown_placement_from_a_variable_renders_nothing_and_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="storefront_widgets"):
        html = render(
            "{% recommendations where %}|{% recommendations where as recs %}"
            "{{ recs.items|length }}",
            where="for_me",
        )
    assert html == "|0"
    assert "Unknown placement 'for_me'; use one of: for_you" in caplog.text


def test_the_printed_form_works_with_autoescape_off() -> None:
    html = render('{% autoescape off %}{% recommendations "for_you" %}{% endautoescape %}')
    (section,) = parse(html).find("section")
    assert urlsplit(section["hx-get"]).path == "/widgets/p/for_you/"


def test_a_title_is_escaped_in_the_placeholder() -> None:
    html = render('{% recommendations "for_you" title=t %}', t="<script>x</script>")
    assert "<script>x" not in html and "&lt;script&gt;" in html


def test_bad_runtime_value_renders_nothing_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="storefront_widgets"):
        html = render('{% recommendations "for_you" limit=n %}', n="many")
    assert html == ""
    assert "limit must be a whole number" in caplog.text


def test_eager_widget_renders_nothing_when_serving_fails(
    catalog: list, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("model store unreachable")

    monkeypatch.setattr("personalization_plugin.serving.recommend", broken)
    with caplog.at_level(logging.ERROR, logger="storefront_widgets"):
        html = render('{% recommendations "for_you" eager=True %}<p>page</p>')
    assert html == "<p>page</p>"
    assert "could not be fetched" in caplog.text


def test_empty_eager_list_renders_nothing(catalog: list) -> None:
    assert render("{% recently_viewed eager=True %}") == ""


def test_assets_tag_serves_htmx_from_static_files() -> None:
    html = render("{% storefront_assets %}")
    scripts = parse(html).find("script")
    assert [s["src"] for s in scripts] == ["/static/storefront_widgets/htmx.min.js"]
    assert parse(html).find("link", href="/static/storefront_widgets/widgets.css")
