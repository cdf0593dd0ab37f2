"""A page view is one set of lists even when trending moves between its partials.

The lazy partials of one page load in parallel, up to a second apart. Each recomputes
the widgets above it; if trending changes in between, a recomputation no longer matches
what the upper widget shows. With the page view's id (the X-SP-Page header every
placeholder sends) each widget's list is fixed once for the page view, so a partial
excludes exactly what the page shows. These tests move trending between the two
requests (and from another thread while many pages load in parallel) and count repeats.
"""

from __future__ import annotations

import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.template import Context, Template
from django.test import Client, RequestFactory

from personalization_plugin import track
from personalization_plugin.serving import clear_caches
from personalization_plugin.tracking.identity import Visitor
from storefront_widgets.page_snapshot import PAGE_ID

from .test_page_lists import HTMX, lists, repeated

# for_you falls back to trending for a new visitor and outranks trending: the upper
# widget's list is the one trending moves.
PAGE = (
    "{% load storefront_widgets %}{% storefront_page %}{% trending limit=4 %}"
    '{% recommendations "for_you" limit=4 fallback="stand_in" %}{% end_storefront_page %}'
)


def partial_urls() -> dict[str, str]:
    request = RequestFactory().get("/")
    html = Template(PAGE).render(Context({"request": request}))
    urls = [m.replace("&amp;", "&") for m in re.findall(r'hx-get="([^"]+)"', html)]
    return {url.split("/")[3]: url for url in urls}


def view(shopper: str, product: Any) -> None:
    track("view", visitor=Visitor(visitor_id=shopper), product_id=str(product))


def steady_traffic(catalog: list) -> None:
    """Products 1..8 trend in that order (more distinct shoppers for the lower ids)."""
    for rank, product in enumerate(catalog[:8]):
        for shopper in range(40 - 4 * rank):
            view(f"regular{rank}-{shopper}", product.pk)


def surge(product: Any, tag: str) -> None:
    """Sixty new shoppers view one product: it moves to the top of trending."""
    for shopper in range(60):
        view(f"surge-{tag}-{shopper}", product.pk)
    clear_caches()


def load(client: Client, url: str, page: str | None) -> dict[str, list[str]]:
    headers = dict(HTMX)
    if page is not None:
        headers["HTTP_X_SP_PAGE"] = page
    response = client.get(url, **headers)
    assert response.status_code == 200, response.content
    return lists(response.content.decode())


def lower_then_surge_then_upper(catalog: list, page: str | None) -> dict[str, list[str]]:
    """The trending partial (lower) arrives first, then trending moves one of the
    products it shows to the top, then the for_you partial (upper) arrives."""
    urls = partial_urls()
    client = Client()
    found = load(client, urls["trending"], page)
    surge_pid = next(pid for pid in found["trending"])  # a product the lower widget shows
    surge(next(p for p in catalog if str(p.pk) == surge_pid), page or "none")
    found.update(load(client, urls["for_you"], page))
    return found


@pytest.mark.django_db
def test_without_a_page_id_a_trending_change_between_partials_repeats_a_product(
    catalog: list,
) -> None:
    """The baseline the page id fixes: recomputing alone is not enough."""
    steady_traffic(catalog)
    clear_caches()
    found = lower_then_surge_then_upper(catalog, page=None)
    assert len(found["trending"]) == 4 and len(found["for_you"]) == 4
    assert repeated(found), found


@pytest.mark.django_db
@pytest.mark.parametrize("store", ["redis", "django cache"])
def test_with_a_page_id_a_trending_change_between_partials_repeats_nothing(
    catalog: list, store: str, request: pytest.FixtureRequest
) -> None:
    """With Redis (every process) or, on the embedded backend, Django's cache."""
    if store == "redis":
        request.getfixturevalue("use_redis")
    steady_traffic(catalog)
    clear_caches()
    found = lower_then_surge_then_upper(catalog, page=uuid.uuid4().hex)
    assert len(found["trending"]) == 4 and len(found["for_you"]) == 4
    assert repeated(found) == set(), found


@pytest.mark.django_db
@pytest.mark.usefixtures("use_redis")
def test_the_upper_widget_shows_the_list_the_lower_one_stepped_around(catalog: list) -> None:
    """Not two lists that merely avoid each other: the upper widget renders exactly the
    list the lower partial excluded, even though trending has moved since."""
    steady_traffic(catalog)
    clear_caches()
    page = uuid.uuid4().hex
    before = load(Client(), partial_urls()["for_you"], None)["for_you"]  # no page id: live
    found = lower_then_surge_then_upper(catalog, page=page)
    assert found["for_you"] == before
    assert load(Client(), partial_urls()["for_you"], None)["for_you"] != before  # it moved


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("use_redis")
def test_many_pages_loading_in_parallel_while_trending_moves_never_repeat(
    catalog: list,
) -> None:
    steady_traffic(catalog)
    clear_caches()
    urls = partial_urls()
    stop = threading.Event()

    def churn() -> None:
        n = 0
        while not stop.is_set():
            surge(catalog[n % 8], f"churn{n}")
            n += 1

    def page_view(i: int) -> dict[str, list[str]]:
        page = uuid.uuid4().hex
        client = Client()
        order = ["trending", "for_you"] if i % 2 else ["for_you", "trending"]
        with ThreadPoolExecutor(2) as both:  # the two partials of one page, at once
            parts = list(both.map(lambda name: load(client, urls[name], page), order))
        return {**parts[0], **parts[1]}

    churner = threading.Thread(target=churn)
    churner.start()
    try:
        with ThreadPoolExecutor(4) as pool:
            pages = list(pool.map(page_view, range(40)))
    finally:
        stop.set()
        churner.join()
    assert all(len(p.get("trending", [])) == 4 and len(p.get("for_you", [])) == 4 for p in pages)
    assert [p for p in pages if repeated(p)] == []


@pytest.mark.django_db
@pytest.mark.usefixtures("use_redis")
def test_another_page_view_gets_its_own_lists(catalog: list) -> None:
    """The agreement lasts one page view: the next page load (a new page id) sees
    trending as it is now."""
    steady_traffic(catalog)
    clear_caches()
    urls = partial_urls()
    client = Client()
    first = load(client, urls["for_you"], uuid.uuid4().hex)["for_you"]
    surge(catalog[7], "between")
    again = load(client, urls["for_you"], uuid.uuid4().hex)["for_you"]
    assert str(catalog[7].pk) not in first and str(catalog[7].pk) in again


@pytest.mark.django_db
def test_a_malformed_page_id_is_a_clear_400(catalog: list) -> None:
    response = Client().get(partial_urls()["trending"], **{**HTMX, "HTTP_X_SP_PAGE": "<script>"})
    assert response.status_code == 400
    assert "32 lowercase hex digits" in response.content.decode()


def test_every_placeholder_sends_a_page_id_made_once_per_page_load() -> None:
    html = Template(
        "{% load storefront_widgets %}{% trending limit=4 %}{% recently_viewed limit=4 %}"
    ).render(Context({"request": RequestFactory().get("/")}))
    headers = re.findall(r"hx-headers='js:([^']+)'", html)
    assert headers and all("X-SP-Page" in h and "window.spPageId" in h for h in headers)
    assert PAGE_ID.fullmatch(uuid.uuid4().hex)


@pytest.mark.django_db
@pytest.mark.usefixtures("use_redis")
@pytest.mark.parametrize("first", ["upper", "lower"])
def test_a_cached_upper_fragment_and_a_fresh_lower_partial_never_repeat(
    catalog: list, first: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The upper widget's rendered fragment is cached from an earlier page view, and
    trending then moves (which invalidates no fragment: views, carts, rules and models
    do). A lower partial recomputing the upper list would now get another one; the
    cached fragment's list is claimed as the page's agreed list instead (or, when the
    lower partial came first, the upper widget renders the list it stepped around)."""
    from personalization_plugin.serving import fragments

    steady_traffic(catalog)
    clear_caches()
    urls = partial_urls()
    client = Client()
    cached = load(client, urls["for_you"], uuid.uuid4().hex)["for_you"]  # rendered, kept
    monkeypatch.setattr(fragments, "invalidate", lambda: None)
    surge(catalog[7], "cached")  # trending moves; the fragment stays
    page = uuid.uuid4().hex
    order = ["for_you", "trending"] if first == "upper" else ["trending", "for_you"]
    found: dict[str, list[str]] = {}
    for name in order:
        found.update(load(client, urls[name], page))
    assert len(found["trending"]) == 4 and len(found["for_you"]) == 4
    assert repeated(found) == set(), found
    if first == "upper":
        assert found["for_you"] == cached  # served from the fragment cache
    else:
        assert str(catalog[7].pk) in found["for_you"]  # the list the lower one excluded
