"""In Debian's Chromium, on the seeded demo store: no page shows a product twice across
its widgets (the lazy partials load in parallel), a visitor who is not personalized is
never told "Picked for you", every filled widget explains itself from the keyboard, and
the order confirmation suggests what goes with the order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import SHOPPER_USER_AGENT

pytestmark = pytest.mark.browser

COLLECT = """() => {
  const lists = {};
  for (const ul of document.querySelectorAll('ul[data-sp-placement]')) {
    const key = ul.dataset.spPlacement + '#' + ul.dataset.spRecommendationId;
    lists[key] = [...ul.querySelectorAll('a[data-sp-product]')].map(a => a.dataset.spProduct);
  }
  return lists;
}"""


def filled_lists(page: Any, url: str) -> dict[str, list[str]]:
    """Open `url`, scroll like a shopper until every lazy widget has loaded (or gone),
    and return each filled widget's product ids."""
    page.goto(url)
    for _ in range(12):
        page.mouse.wheel(0, 900)
        page.wait_for_timeout(150)
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_function(
        "document.querySelectorAll('section[data-sp-lazy]').length === 0", timeout=20_000
    )
    return page.evaluate(COLLECT)


def repeated(lists: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    twice: set[str] = set()
    for ids in lists.values():
        assert len(ids) == len(set(ids)), ids
        twice |= seen & set(ids)
        seen |= set(ids)
    return twice


def _shop_urls() -> tuple[str, str, Any, Any]:
    from shop.models import Category, Product

    products = list(Product.objects.published().filter(stock__gt=0).select_related("category"))
    first = products[0]
    other = next(p for p in products if p.category_id != first.category_id)
    category = Category.objects.get(pk=first.category_id)
    return first.get_absolute_url(), category.get_absolute_url(), first, other


def _add_to_cart(page: Any, base: str, product: Any) -> None:
    page.goto(base + product.get_absolute_url())
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_load_state("load")


def test_no_page_repeats_a_product_across_its_widgets(
    seeded_store: Any, page: Any, artifacts: Path
) -> None:
    base = seeded_store.url
    product_url, category_url, first, other = _shop_urls()
    pages = {"home": base + "/", "product": base + product_url, "category": base + category_url}
    seen_widgets: dict[str, int] = {}
    for name, url in pages.items():
        lists = filled_lists(page, url)
        seen_widgets[name] = len(lists)
        assert repeated(lists) == set(), (name, lists)
        page.screenshot(path=str(artifacts / f"lists-{name}.png"), full_page=True)
    _add_to_cart(page, base, first)
    _add_to_cart(page, base, other)
    cart = filled_lists(page, base + "/cart/")
    assert repeated(cart) == set(), cart
    assert not {str(first.pk), str(other.pk)} & {p for ids in cart.values() for p in ids}
    page.screenshot(path=str(artifacts / "lists-cart.png"), full_page=True)
    # After these views the home page has several lists, still without repeats.
    home = filled_lists(page, base + "/")
    assert len(home) >= 2 and repeated(home) == set(), home
    assert seen_widgets["product"] >= 2, "the product page fills more than one list"


@pytest.mark.parametrize("how", ["fresh", "gpc"])
def test_a_visitor_who_is_not_personalized_never_sees_picked_for_you(
    seeded_store: Any, browser: Any, how: str
) -> None:
    headers = {"Sec-GPC": "1"} if how == "gpc" else {}
    context = browser.new_context(extra_http_headers=headers, user_agent=SHOPPER_USER_AGENT)
    page = context.new_page()
    try:
        base = seeded_store.url
        product_url, _, _, _ = _shop_urls()
        if how == "gpc":
            page.goto(base + product_url)  # a view that must not be used for a list
        lists = filled_lists(page, base + "/")
        text = page.inner_text("main") if page.locator("main").count() else page.inner_text("body")
        assert "Picked for you" not in text
        assert not any(key.startswith("for_you#") for key in lists), lists
        assert "Because you viewed" not in text
    finally:
        context.close()


def test_why_these_products_opens_from_the_keyboard(seeded_store: Any, page: Any) -> None:
    product_url, _, _, _ = _shop_urls()
    filled_lists(page, seeded_store.url + product_url)
    summary = page.locator("details.sp-why summary").first
    summary.focus()
    page.keyboard.press("Enter")
    details = page.locator("details.sp-why").first
    assert details.get_attribute("open") is not None
    assert details.locator("a").get_attribute("href").endswith("/personalization/privacy/")
    assert details.locator("p").first.inner_text().strip()


def test_the_order_confirmation_suggests_what_goes_with_the_order(
    seeded_store: Any, page: Any, artifacts: Path
) -> None:
    from shop.models import Product

    from personalization_plugin.serving import recommend

    products = Product.objects.published().filter(stock__gt=2)
    bought = next(
        p
        for p in products
        if recommend("post_purchase", cart=[str(p.pk)], limit=4, fallback="none").items
    )
    base = seeded_store.url
    _add_to_cart(page, base, bought)
    page.goto(base + "/checkout/")
    page.fill("input[name=name]", "Ada Shopper")
    page.fill("input[name=email]", "ada@example.com")
    page.fill("textarea[name=address]", "1 Garden Lane")
    page.get_by_role("button", name="Place order").click()
    page.wait_for_url("**/checkout/done/**")
    lists = filled_lists(page, page.url)
    suggested = [ids for key, ids in lists.items() if key.startswith("post_purchase#")]
    assert suggested and suggested[0], lists
    assert str(bought.pk) not in suggested[0]
    assert repeated(lists) == set(), lists
    assert page.get_by_role("heading", name="Goes well with your order").is_visible()
    page.screenshot(path=str(artifacts / "lists-order-confirmation.png"), full_page=True)
