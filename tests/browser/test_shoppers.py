"""In Debian's Chromium, on the seeded demo store, as each kind of shopper: a signed-in
buyer gets the same experiment arm on every sign-in (fresh browser each time) with a
title that is true for that arm; one visitor's views leave "Trending now" where it was;
and every lazy partial of one page load carries the same page id (so the page is one
set of lists, `storefront_widgets.page_snapshot`)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import SHOPPER_USER_AGENT
from tests.browser.test_page_lists import filled_lists, repeated

pytestmark = pytest.mark.browser

SIGN_INS = 5
FOR_YOU_HEADING = """() => {
  const ul = document.querySelector('ul[data-sp-placement="for_you"]');
  if (!ul) return null;
  const title = ul.closest('section').querySelector('.sp-widget__title');
  return title ? title.textContent.trim() : '';
}"""
REASONS = """() => [...document.querySelectorAll(
  'ul[data-sp-placement="for_you"] .sp-item__reason')].map(r => r.textContent.trim())"""


def _experiment_on_for_you() -> Any:
    from personalization_plugin.experiments.models import Experiment

    return Experiment.objects.create(
        name="For you: personalized vs popular",
        placement="for_you",
        holdout_percent=50,
        status=Experiment.Status.RUNNING,
    )


def _buyers(n: int) -> list[Any]:
    """Seeded customers with orders (their history is in the model)."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(orders__isnull=False).distinct().order_by("pk")
    return list(users[:n])


def _arm_of(user: Any) -> Any:
    """The buyer's arm as serving sees a signed-in visit now (their pinned arm)."""
    from personalization_plugin.experiments.bucketing import assign
    from personalization_plugin.tracking.identity import Visitor

    return assign(Visitor(visitor_id="0" * 32, customer_id=str(user.pk)), "for_you")


def _sign_in(page: Any, base: str, username: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("load")


@pytest.mark.parametrize("which", [0, 1])
def test_a_signed_in_buyer_gets_the_same_arm_and_a_true_title_every_time(
    seeded_store: Any, browser: Any, which: int
) -> None:
    """The first sign-in carries the anonymous bucket over to the customer; every later
    sign-in, from any browser, gets that arm again, and the widget says what it is."""
    from personalization_plugin.serving import clear_caches, recommend
    from personalization_plugin.tracking.identity import Visitor

    _experiment_on_for_you()
    clear_caches()
    buyer = _buyers(2)[which]
    headings, reasons = [], []
    for _ in range(SIGN_INS):  # a fresh browser each time: a new visitor cookie
        context = browser.new_context(user_agent=SHOPPER_USER_AGENT)
        page = context.new_page()
        try:
            _sign_in(page, seeded_store.url, buyer.username)
            lists = filled_lists(page, seeded_store.url + "/")
            assert repeated(lists) == set(), lists
            headings.append(page.evaluate(FOR_YOU_HEADING))
            reasons.append(page.evaluate(REASONS))
        finally:
            context.close()
    assert len(set(headings)) == 1, headings  # the same arm on every sign-in
    arm = _arm_of(buyer)
    assert arm is not None, "the buyer takes part in the experiment"
    if arm.serves_baseline:  # the trending list, titled as trending
        assert headings[0] == "Trending now", headings
        assert all(not r.startswith("Because you") for r in reasons[0]), reasons[0]
    else:
        personal = recommend("for_you", visitor=Visitor(customer_id=str(buyer.pk)), limit=8)
        expected = "Picked for you" if personal.items and not personal.borrowed else None
        assert headings[0] == expected, (headings, personal.source)
        assert all(not r.startswith("Trending") for r in reasons[0]), reasons[0]


def _trending(browser: Any, base: str) -> list[str]:
    """ "Trending now" on the home page, as a brand-new visitor sees it."""
    context = browser.new_context(user_agent=SHOPPER_USER_AGENT)
    page = context.new_page()
    try:
        lists = filled_lists(page, base + "/")
        return next(ids for key, ids in lists.items() if key.startswith("trending#"))
    finally:
        context.close()


def test_one_visitors_views_leave_trending_unmoved(seeded_store: Any, browser: Any) -> None:
    from shop.models import Product

    from personalization_plugin.serving import clear_caches
    from personalization_plugin.tracking.backends import get_backend

    base = seeded_store.url
    before = _trending(browser, base)
    assert before, "the seeded store trends"
    category = Product.objects.published().values_list("category_id", flat=True).first()
    viewed = [
        p
        for p in Product.objects.published().filter(category_id=category, stock__gt=0)
        if str(p.pk) not in before
    ][:3]
    assert len(viewed) == 3
    context = browser.new_context(user_agent=SHOPPER_USER_AGENT)
    page = context.new_page()
    try:
        for _ in range(2):
            for product in viewed:
                page.goto(base + product.get_absolute_url())
                page.wait_for_load_state("load")
    finally:
        context.close()
    get_backend().flush()
    clear_caches()  # the live board is reused for a second across requests
    after = _trending(browser, base)
    assert not {str(p.pk) for p in viewed} & set(after), (viewed, after)
    assert after == before


def test_every_partial_of_one_page_load_sends_the_same_page_id(
    seeded_store: Any, page: Any
) -> None:
    from shop.models import Product

    base = seeded_store.url
    sent: list[tuple[str, str]] = []
    page.on(
        "request",
        lambda r: (
            sent.append((r.url, r.headers.get("x-sp-page", ""))) if "/widgets/p/" in r.url else None
        ),
    )
    product = Product.objects.published().filter(stock__gt=0).first()
    filled_lists(page, base + product.get_absolute_url())
    first = {page_id for _, page_id in sent}
    assert len(sent) >= 2 and len(first) == 1 and len(next(iter(first))) == 32, sent
    sent.clear()
    filled_lists(page, page.url)  # the same page, loaded again
    second = {page_id for _, page_id in sent}
    assert len(second) == 1 and second != first, "each page load is its own page view"
