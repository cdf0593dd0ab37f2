"""The staff customer page: found by email or id, permission-gated, and showing the
customer's timeline, segments with reasons, triggers and current recommendations."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.utils import timezone

from personalization_plugin.models import Event

pytestmark = pytest.mark.django_db
URL = "/admin/personalization/customers/"


@pytest.fixture
def shopper():
    """A customer account with two orders (a repeat buyer) and a view."""
    from shop.models import Category, Product

    from personalization_plugin.profiles import store
    from personalization_plugin.segments import engine
    from personalization_plugin.segments.models import Segment

    mugs = Category.objects.create(name="Mugs", slug="mugs")
    for n in range(1, 6):
        Product.objects.create(
            title=f"Mug {n}", slug=f"mug-{n}", price=Decimal("9"), category=mugs, stock=5
        )
    user = User.objects.create_user("ada", "ada@shop.example", "pw")
    cid = str(user.pk)
    for n, days in enumerate((30, 3)):
        Event.objects.create(
            event_id=uuid.uuid4().hex,
            type="purchase",
            visitor_id="v-ada",
            customer_id=cid,
            order_id=f"o{n}",
            product_id="1",
            quantity=1,
            price=Decimal("9"),
            occurred_at=timezone.now() - timedelta(days=days),
        )
    Segment.objects.create(slug="vip", name="VIP shoppers", rules={"rule": "repeat_buyer"})
    store.clear_local()
    engine.forget_definitions()
    return user


def _staff(*codenames: str) -> Client:
    user = User.objects.create_user("clerk", "clerk@example.com", "pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=["access_admin", *codenames]))
    client = Client()
    client.force_login(user)
    return client


def test_staff_without_the_permission_get_403(shopper):
    response = _staff("view_personalization").get(URL, {"customer": shopper.pk})
    assert response.status_code == 403
    assert "ada@shop.example" not in response.content.decode()


def test_a_search_by_email_or_id_finds_the_customer(shopper):
    client = _staff("view_customers")
    by_email = client.get(URL, {"q": "ada@shop"}).content.decode()
    by_id = client.get(URL, {"q": str(shopper.pk)}).content.decode()
    link = f"customer={shopper.pk}"
    assert link in by_email and link in by_id
    assert "No customer matches" in client.get(URL, {"q": "nobody@x"}).content.decode()


def test_the_page_shows_timeline_segments_with_reasons_and_recommendations(shopper):
    html = _staff("view_customers").get(URL, {"customer": shopper.pk}).content.decode()
    assert "Timeline: 2 events" in html and html.count("<td>purchase</td>") == 2
    assert 'data-segment="vip"' in html and "Two orders or more" in html
    assert "data-product-id=" in html  # the current for-you list, with reasons
    assert "No trigger was sent." in html


def test_the_menu_offers_the_page_only_to_staff_who_may_see_customers(shopper):
    assert URL in _staff("view_customers").get("/admin/").content.decode()
    User.objects.filter(username="clerk").delete()
    assert URL not in _staff("view_personalization").get("/admin/").content.decode()
