"""seed_demo fills a believable store with a realistic shopping funnel."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count
from shop.models import Category, HomePage, Order, OrderLine, Product

from personalization_plugin.models import Event

SMALL = ["--products", "60", "--shoppers", "50", "--events", "2000", "--seed", "7"]


@pytest.fixture
def seeded(db) -> str:
    out = StringIO()
    call_command("seed_demo", *SMALL, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return dict(Event.objects.values_list("type").annotate(n=Count("id")).values_list("type", "n"))


def test_catalog_spans_at_least_fifteen_categories(seeded):
    assert Category.objects.count() >= 15
    assert Product.objects.count() == 60
    assert Category.objects.filter(products__isnull=False).distinct().count() >= 15


def test_funnel_narrows_from_views_to_cart_adds_to_purchases(seeded):
    c = counts()
    assert c["view"] > c["cart_add"] > c["purchase"] > 0


def test_about_the_requested_number_of_events_is_stored(seeded):
    assert 2000 <= Event.objects.count() <= 2100


def test_orders_match_the_purchase_events(seeded):
    purchase_orders = set(Event.objects.filter(type="purchase").values_list("order_id", flat=True))
    assert purchase_orders == set(Order.objects.values_list("number", flat=True))
    assert OrderLine.objects.count() == Event.objects.filter(type="purchase").count()


def test_creates_admin_login_and_home_page_content(seeded, django_user_model):
    admin = django_user_model.objects.get(username="admin")
    assert admin.is_superuser and admin.check_password("admin")
    body = HomePage.objects.get().body
    assert [b.block_type for b in body][:2] == ["hero", "recommendations"]


def test_some_shoppers_have_accounts_and_some_are_anonymous(seeded):
    customers = Event.objects.exclude(customer_id="").values("customer_id").distinct().count()
    visitors = Event.objects.filter(customer_id="").values("visitor_id").distinct().count()
    assert customers > 0 and visitors > customers


def test_summary_reports_counts_by_event_type(seeded):
    assert "view" in seeded and "purchase" in seeded and "admin / admin" in seeded


def test_same_seed_gives_the_same_catalog(seeded):
    titles = list(Product.objects.order_by("pk").values_list("title", flat=True))
    call_command("seed_demo", *SMALL, "--reset", stdout=StringIO())
    assert list(Product.objects.order_by("pk").values_list("title", flat=True)) == titles


def test_if_empty_leaves_a_seeded_store_alone(seeded):
    before = Event.objects.count()
    out = StringIO()
    call_command("seed_demo", *SMALL, "--if-empty", stdout=out)
    assert Event.objects.count() == before
    assert "nothing to seed" in out.getvalue()


def test_refuses_to_seed_over_an_existing_catalog_without_reset(seeded):
    with pytest.raises(CommandError, match="--reset"):
        call_command("seed_demo", *SMALL, stdout=StringIO())


def test_with_consent_required_the_simulated_shoppers_have_granted_consent(db, personalization):
    from personalization_plugin.models import PrivacyChoice

    personalization(CONSENT_MODE="required")
    call_command("seed_demo", *SMALL, stdout=StringIO())
    assert PrivacyChoice.objects.filter(consent="granted").count() == 50
    assert Event.objects.count() >= 2000
