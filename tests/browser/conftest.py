"""Browser fixtures: a small seeded, trained demo store on the live test server, and
Debian's headless Chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _home_page() -> None:
    """The site root HomePage; a transactional test's flush removes the migration's one."""
    from shop.models import HomePage
    from wagtail.models import Locale, Page, Site

    if HomePage.objects.exists():
        return
    Locale.objects.get_or_create(language_code="en")
    root = Page.get_first_root_node() or Page.add_root(title="Root", slug="root")
    home = root.add_child(instance=HomePage(title="Hearth & Field", slug="home"))
    Site.objects.all().delete()
    Site.objects.create(
        hostname="localhost", port=80, root_page=home, is_default_site=True, site_name="Demo"
    )


@pytest.fixture
def seeded_store(transactional_db: None, live_server: Any, tmp_path: Path, settings: Any) -> Any:
    """seed_demo at a small size, then a trained, active model."""
    from django.core.management import call_command

    from personalization_plugin.engine.training import train
    from personalization_plugin.serving import clear_caches
    from personalization_plugin.tracking.realtime import get_local_realtime

    settings.PERSONALIZATION = {**settings.PERSONALIZATION, "MODEL_DIR": str(tmp_path / "models")}
    clear_caches()
    get_local_realtime().clear()
    _home_page()
    call_command(
        "seed_demo", products=48, shoppers=60, events=3000, seed=7, stdout=open("/dev/null", "w")
    )
    train()
    clear_caches()
    yield live_server
    clear_caches()
    get_local_realtime().clear()


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Headless Chromium. Playwright's sync API keeps an event loop running in this
    thread, which Django would take for async code; the test's own ORM calls are sync."""
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (apt-get install chromium).")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# A shopper's desktop Chrome: headless Chromium's own User-Agent says "HeadlessChrome",
# which the intake rightly drops as a bot (tests/reliability/test_intake_screening.py).
SHOPPER_USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, user_agent=SHOPPER_USER_AGENT
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def small_store(transactional_db: None, live_server: Any) -> Any:
    """Eight products and a home page, no trained model: serving's fallbacks fill the lists."""
    from decimal import Decimal

    from shop.models import Category, Product

    from personalization_plugin.serving import clear_caches
    from personalization_plugin.tracking.realtime import get_local_realtime

    clear_caches()
    get_local_realtime().clear()
    _home_page()
    category = Category.objects.create(name="Candles", slug="candles")
    for n in range(1, 9):
        Product.objects.create(
            title=f"Beeswax Candle {n}",
            slug=f"candle-{n}",
            price=Decimal("9.50") + n,
            stock=5,
            category=category,
        )
    yield live_server
    clear_caches()
    get_local_realtime().clear()
