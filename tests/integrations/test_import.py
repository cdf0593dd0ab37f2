"""`personalization_import` and `backfill`: past orders and CSV files, idempotent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from shop.models import Category, Order, OrderLine, Product

from personalization_plugin.adapters import OrderLine as PastLine
from personalization_plugin.adapters import PastOrder
from personalization_plugin.backfill import import_csv, import_orders
from personalization_plugin.core.exceptions import MalformedRow
from personalization_plugin.models import Event, PrivacyChoice

pytestmark = pytest.mark.django_db

CSV = """timestamp,user,item,event,quantity,price,session
1700000000,u1,p1,view,1,9.50,s1
1700000060,u1,p1,cart,1,9.50,s1
1700000120,u1,p1,purchase,2,9.50,s1
1700000180,u2,p2,view,,,s2
1700000180,u2,p2,view,,,s2
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "events.csv"
    path.write_text(text)
    return path


def run(*args: str) -> str:
    out = StringIO()
    call_command("personalization_import", *args, "--no-progress", stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def shop_orders(django_user_model) -> list[Order]:
    cookware = Category.objects.create(name="Cookware", slug="cookware")
    pan, lid = (
        Product.objects.create(title=t, slug=t.lower(), price=Decimal("20"), category=cookware)
        for t in ("Pan", "Lid")
    )
    buyer = django_user_model.objects.create_user("buyer", password="x")
    orders = []
    for n, user in enumerate([buyer, None]):
        order = Order.objects.create(number=f"HF-{n}", user=user, currency="EUR")
        OrderLine.objects.create(order=order, product=pan, title="Pan", quantity=1, unit_price=20)
        OrderLine.objects.create(order=order, product=lid, title="Lid", quantity=2, unit_price=5)
        orders.append(order)
    return orders


def test_csv_import_stores_one_event_per_row(tmp_path) -> None:
    report = import_csv(write(tmp_path, CSV))
    assert (report.read, report.stored) == (5, 5)
    assert sorted(Event.objects.values_list("type", flat=True)) == [
        "cart_add",
        "purchase",
        "view",
        "view",
        "view",
    ]


def test_csv_rows_keep_time_quantity_price_and_session(tmp_path) -> None:
    import_csv(write(tmp_path, CSV))
    purchase = Event.objects.get(type="purchase")
    assert purchase.occurred_at == datetime.fromtimestamp(1700000120, tz=UTC)
    assert (purchase.quantity, purchase.price, purchase.visitor_id) == (2, Decimal("9.50"), "u1")
    assert purchase.order_id == "s1"


def test_importing_the_same_csv_twice_stores_it_once(tmp_path) -> None:
    path = write(tmp_path, CSV)
    import_csv(path)
    again = import_csv(path)
    assert (again.stored, again.already_stored) == (0, 5)
    assert Event.objects.count() == 5


def test_iso_timestamps_are_accepted(tmp_path) -> None:
    import_csv(write(tmp_path, "timestamp,user,item,event\n2024-05-01T10:00:00+00:00,u1,p1,view\n"))
    assert Event.objects.get().occurred_at == datetime(2024, 5, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("yesterday,u1,p1,view", "timestamp must be unix seconds or ISO 8601, got 'yesterday'"),
        ("1700000000,u1,p1,like", "event must be one of cart, cart_add, cart_remove, checkout"),
        ("1700000000,,p1,view", "user and item must not be empty"),
        ("1700000000,u1", "it has 2 fields but the header has 7"),
        ("1700000000,u1,p1,view,two", "quantity must be a whole number"),
    ],
)
def test_a_malformed_row_is_named_by_line_and_stores_nothing(tmp_path, row, problem) -> None:
    path = write(tmp_path, CSV + row + "\n")
    with pytest.raises(MalformedRow) as caught:
        import_csv(path)
    assert caught.value.line == 7
    assert problem in str(caught.value)
    assert "Expected timestamp,user,item,event" in str(caught.value)
    assert not Event.objects.exists()


def test_skip_invalid_imports_the_good_rows_and_counts_the_bad(tmp_path) -> None:
    path = write(tmp_path, CSV + "x,u1,p1,view\n1700000000,u3,p3,view\n1700000000,u3,p3,wink\n")
    report = import_csv(path, skip_invalid=True)
    assert (report.stored, report.invalid) == (6, 2)
    assert [e.split(":")[0] for e in report.errors] == ["Line 7", "Line 9"]


def test_command_reports_a_malformed_row_and_how_to_continue(tmp_path) -> None:
    path = write(tmp_path, CSV + "1700000000,u1,p1,like\n")
    with pytest.raises(CommandError, match=r"Line 7: .*pass --skip-invalid"):
        run("--csv", str(path))


def test_command_with_skip_invalid_reports_the_count(tmp_path) -> None:
    path = write(tmp_path, CSV + "1700000000,u1,p1,like\n")
    err = StringIO()
    call_command(
        "personalization_import",
        "--csv",
        str(path),
        "--skip-invalid",
        "--no-progress",
        stdout=StringIO(),
        stderr=err,
    )
    assert "Skipped 1 invalid row(s)." in err.getvalue()


def test_command_says_when_a_rerun_stored_nothing_new(tmp_path) -> None:
    path = write(tmp_path, CSV)
    run("--csv", str(path))
    assert "stored 0 new, 5 already stored" in run("--csv", str(path))


def test_a_missing_file_is_a_clear_command_error(tmp_path) -> None:
    with pytest.raises(CommandError, match="No such file"):
        run("--csv", str(tmp_path / "absent.csv"))


def test_backfill_from_the_demo_store_orders(shop_orders) -> None:
    report = import_orders()
    assert (report.read, report.stored) == (4, 4)
    customer = str(shop_orders[0].user_id)
    assert Event.objects.filter(customer_id=customer, order_id="HF-0").count() == 2
    assert Event.objects.filter(visitor_id="order-HF-1", customer_id="").count() == 2


def test_backfilling_orders_twice_stores_them_once(shop_orders) -> None:
    assert "stored 4 new" in run()
    assert "stored 0 new, 4 already stored" in run()
    assert Event.objects.count() == 4


def test_since_limits_the_backfill_to_recent_orders(shop_orders) -> None:
    Order.objects.filter(number="HF-0").update(created_at=datetime(2020, 1, 1, tzinfo=UTC))
    run("--since", "2021-01-01")
    assert set(Event.objects.values_list("order_id", flat=True)) == {"HF-1"}


def test_a_bad_since_date_is_a_clear_error(shop_orders) -> None:
    with pytest.raises(CommandError, match="not a date"):
        run("--since", "last tuesday")


def test_opted_out_customers_are_not_backfilled(shop_orders) -> None:
    PrivacyChoice.objects.create(subject=f"c:{shop_orders[0].user_id}", consent="denied")
    report = import_orders()
    assert report.not_consented == 2
    assert not Event.objects.filter(order_id="HF-0").exists()


def test_an_erased_customer_is_not_brought_back_by_a_backfill(shop_orders) -> None:
    from personalization_plugin.privacy.erasure import erase

    customer = str(shop_orders[0].user_id)
    import_orders()
    erase(customer_id=customer)
    assert not Event.objects.filter(customer_id=customer).exists()
    report = import_orders()
    assert report.erased == 2
    assert not Event.objects.filter(customer_id=customer).exists()
    assert "2 skipped because the shopper was erased" in run()


def test_erasure_remembers_only_a_keyed_hash_of_the_shopper(shop_orders) -> None:
    from personalization_plugin.models import ErasedShopper
    from personalization_plugin.privacy.erasure import erase, erased_digest

    customer = str(shop_orders[0].user_id)
    erase(customer_id=customer)
    digests = list(ErasedShopper.objects.values_list("digest", flat=True))
    assert digests == [erased_digest(f"c:{customer}")]
    assert f"c:{customer}" not in digests[0]


def test_with_consent_required_only_consented_shoppers_are_backfilled(
    shop_orders, personalization
) -> None:
    personalization(CONSENT_MODE="required")
    PrivacyChoice.objects.create(subject=f"c:{shop_orders[0].user_id}", consent="granted")
    import_orders()
    assert set(Event.objects.values_list("order_id", flat=True)) == {"HF-0"}


def test_an_order_with_a_bad_line_is_skipped_and_named() -> None:
    now = datetime.now(UTC) - timedelta(days=1)
    good = PastOrder("A1", "7", now, (PastLine("p1", 1, Decimal("3")),))
    bad = PastOrder("A2", "7", now, (PastLine("p2", 0, None),))
    report = import_orders([good, bad])
    assert report.stored == 1
    assert report.invalid == 1
    assert report.errors[0].startswith("Order A2: quantity")
