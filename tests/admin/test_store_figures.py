"""Store-wide figures: each one on a fixture small enough to compute by hand.

The store (days before today; "today" is live, never rolled up):
- a: ordered 40 days ago (2 x 10.00); 5 days ago viewed p1, added it to the cart,
  started checkout and ordered p1 (10.00) + p2 (30.00); 2 days ago ordered p2 (30.00).
- b: 3 days ago viewed p1 and p2, added p2 to the cart; never ordered.
- c: 1 day ago viewed p3, started checkout, ordered 3 x p3 at 15.00.
- d: today viewed p1.
- e: ordered p1 (10.00) 35 days ago, nothing since (churned).
Searches: "Shoes" 3 times 2 days ago (one found nothing), "shoes " once today, "hat"
once 3 days ago (found nothing).
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from personalization_plugin.models import Event
from personalization_plugin.reports import rollups, store_figures
from tests.experiments.factories import event

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_caches():
    store_figures.forget()
    yield
    store_figures.forget()


def at(days_ago: int):
    """Noon of a past day; today, a minute after midnight (never in the future)."""
    day = rollups.today() - timedelta(days=days_ago)
    return rollups.bounds(day)[0] + (timedelta(hours=12) if days_ago else timedelta(minutes=1))


def line(who: str, product: str, price: str, order: str, ago: int, quantity: int = 1) -> Event:
    return event(
        "purchase",
        who,
        product_id=product,
        price=price,
        quantity=quantity,
        order_id=order,
        at=at(ago),
    )


def search(who: str, text: str, ago: int, results: int | None = None) -> Event:
    return Event(
        event_id=uuid.uuid4().hex,
        type="search",
        visitor_id=who,
        query=text,
        payload={} if results is None else {"results": results},
        occurred_at=at(ago),
    )


@pytest.fixture
def store() -> None:
    rows = [
        line("a", "p1", "10.00", "o1", 40, quantity=2),
        event("view", "a", product_id="p1", at=at(5)),
        event("cart_add", "a", product_id="p1", at=at(5)),
        event("checkout", "a", product_id="", at=at(5)),
        line("a", "p1", "10.00", "o2", 5),
        line("a", "p2", "30.00", "o2", 5),
        line("a", "p2", "30.00", "o3", 2),
        event("view", "b", product_id="p1", at=at(3)),
        event("view", "b", product_id="p2", at=at(3)),
        event("cart_add", "b", product_id="p2", at=at(3)),
        event("view", "c", product_id="p3", at=at(1)),
        event("checkout", "c", product_id="", at=at(1)),
        line("c", "p3", "15.00", "o4", 1, quantity=3),
        event("view", "d", product_id="p1", at=at(0)),
        line("e", "p1", "10.00", "o5", 35),
        search("b", "Shoes", 2),
        search("b", "Shoes", 2, results=0),
        search("c", "SHOES", 2, results=4),
        search("d", "shoes ", 0),
        search("b", "hat", 3, results=0),
    ]
    Event.objects.bulk_create(rows)
    rollups.refresh()


def figures(days: int = 30) -> store_figures.StoreFigures:
    return store_figures.compute(rollups.period(days))


def test_conversion_is_visitors_with_an_order_over_visitors(store):
    overall = figures().overall
    assert (overall.visitors, overall.buyers) == (4, 2)  # a, b, c, d; a and c ordered
    assert overall.conversion_rate == pytest.approx(0.5)


def test_average_order_value_and_units_per_order_are_per_order(store):
    overall = figures().overall
    assert overall.orders == 3  # o2, o3, o4 (o1 and o5 are before the 30 days)
    assert overall.revenue == pytest.approx(40 + 30 + 45)
    assert overall.average_order_value == pytest.approx(115 / 3)
    assert overall.units_per_order == pytest.approx((2 + 1 + 3) / 3)


def test_repeat_purchase_rate_counts_buyers_with_two_orders_in_the_period(store):
    assert figures().overall.repeat_rate == pytest.approx(1 / 2)  # a (o2, o3); c once
    assert figures(7).overall.repeat_rate == pytest.approx(1 / 2)
    assert figures(2).overall.repeat_rate == pytest.approx(0.0)  # only c, once (o3 is day -2)


def test_the_funnel_counts_visitors_reaching_each_step(store):
    steps = figures().overall.funnel
    assert [(name, n) for name, n, _ in steps] == [
        ("view", 4),
        ("cart", 2),
        ("checkout", 2),
        ("order", 2),
    ]
    assert [share for *_, share in steps] == [None, 0.5, 1.0, 1.0]


def test_churn_is_last_periods_buyers_without_an_order_now(store):
    result = figures(30)
    # 30..59 days ago: a (40) and e (35) ordered; only a ordered again
    assert (result.churn_base, result.churned) == (2, 1)
    assert result.churn_rate == pytest.approx(0.5)
    assert figures(7).churn_base == 0  # nobody ordered 7..13 days ago


def test_historical_lifetime_value_is_the_whole_history_of_the_periods_buyers(store):
    value = figures(30).value
    assert value.customers == 2
    assert value.historical == pytest.approx(((20 + 40 + 30) + 45) / 2)
    assert value.predicted is None  # five customers: too few to fit a model


def test_cohorts_group_first_orders_by_month(store):
    result = figures(90)
    today = rollups.today()
    firsts = {
        "a": today - timedelta(days=40),
        "e": today - timedelta(days=35),
        "c": today - timedelta(days=1),
    }
    orders = {
        "a": [today - timedelta(days=d) for d in (40, 5, 2)],
        "e": [today - timedelta(days=35)],
        "c": [today - timedelta(days=1)],
    }

    def months(a: date, b: date) -> int:
        return (b.year - a.year) * 12 + b.month - a.month

    expected: dict[date, list[str]] = {}
    for who, first in firsts.items():
        expected.setdefault(first.replace(day=1), []).append(who)
    assert [c.month for c in result.cohorts] == sorted(expected)
    for cohort in result.cohorts:
        people = expected[cohort.month]
        assert cohort.customers == len(people)
        width = months(cohort.month, today) + 1
        assert cohort.retained == [
            sum(1 for p in people if any(months(cohort.month, d) == k for d in orders[p]))
            / len(people)
            for k in range(width)
        ]
        assert cohort.retained[0] == 1.0


def test_searches_are_counted_per_normalised_query(store):
    result = figures(30)
    assert [(q.query, q.searches, q.no_results) for q in result.top_searches] == [
        ("shoes", 4, 1),
        ("hat", 1, 1),
    ]
    assert [q.query for q in result.no_result_searches] == ["hat", "shoes"]
    assert [q.query for q in figures(2).top_searches] == ["shoes"]  # hat was 3 days ago


def test_most_viewed_rarely_bought(store, monkeypatch):
    monkeypatch.setattr(store_figures, "MIN_VIEWS", 1)
    result = figures(30)
    # views: p1 3 (a, b, d), p2 1, p3 1; lines: p1 1, p2 2, p3 1 -> store 4/5 per view
    assert result.store_lines_per_view == pytest.approx(4 / 5)
    assert [(p.product_id, p.views, p.order_lines) for p in result.viewed_not_bought] == [
        ("p1", 3, 1)
    ]
    monkeypatch.setattr(store_figures, "MIN_VIEWS", 4)
    assert figures(30).viewed_not_bought == []


def test_every_store_figure_uses_the_period_of_the_page(store):
    for days in (2, 7, 30, 90):
        period = rollups.period(days)
        result = store_figures.compute(period)
        assert (result.first, result.last) == (period.days[0], period.days[-1])
        assert result.overall.visitors == period.people
        assert result.overall.orders == period.orders
        assert result.overall.revenue == pytest.approx(period.total_revenue)


def test_a_custom_period_in_the_past_has_no_live_day(store):
    today = rollups.today()
    period = rollups.between(today - timedelta(days=5), today - timedelta(days=2))
    result = store_figures.compute(period)
    assert result.overall.visitors == 3  # a (days -5, -2), b (day -3), c (searched day -2)
    assert result.overall.orders == 2  # o2, o3
    assert result.overall.revenue == pytest.approx(70)


def test_held_out_visitors_are_the_baseline_arm_of_an_experiment(db):
    from tests.experiments.factories import running_experiment, visitors_in

    experiment = running_experiment(started_at=at(20))
    held = visitors_in(experiment, "control", 2, prefix="h")
    served = visitors_in(experiment, "treatment", 3, prefix="s")
    rows = [event("view", v, at=at(2)) for v in held + served]
    rows += [line(held[0], "p1", "10.00", "oh", 2), line(served[0], "p1", "20.00", "os", 2)]
    rows += [line(served[1], "p1", "20.00", "os2", 1)]
    Event.objects.bulk_create(rows)
    rollups.refresh()
    groups = figures(7).groups
    assert (groups["held_out"].visitors, groups["held_out"].buyers) == (2, 1)
    assert (groups["personalized"].visitors, groups["personalized"].buyers) == (3, 2)
    assert groups["all"].visitors == 5
    assert groups["held_out"].average_order_value == pytest.approx(10)
    assert groups["personalized"].conversion_rate == pytest.approx(2 / 3)


def test_today_joins_the_period_per_person(store):
    # a, active earlier in the period, also orders today: still one visitor and buyer
    Event.objects.bulk_create([line("a", "p9", "5.00", "o-today", 0), event("view", "f", at=at(0))])
    overall = figures(30).overall
    assert (overall.visitors, overall.buyers, overall.orders) == (5, 2, 4)
    assert overall.repeat_buyers == 1
    assert overall.revenue == pytest.approx(120)


def test_the_dashboard_shows_every_table_with_a_definition_and_a_csv_link(store, admin_client_):
    html = admin_client_.get("/admin/personalization/?days=30").content.decode()
    for slug in ("figures", "funnel", "customers", "cohorts", "searches", "no_results"):
        section = html.split(f'id="sp-table-{slug}"')[1].split("</section>")[0]
        assert "<abbr title=" in section  # the one-line definition, on hover and focus
        assert f"/admin/personalization/figures/{slug}.csv?days=30" in section
    headline = html.split('id="sp-store-headline"')[1].split("</div>\n</div>")[0]
    assert "50.0%" in headline  # conversion rate: 2 of 4 visitors


def test_csv_holds_the_tables_raw_numbers_for_the_chosen_period(store, admin_client_):
    response = admin_client_.get("/admin/personalization/figures/figures.csv?days=30")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = [r.split(",") for r in response.content.decode().strip().splitlines()]
    by_name = {r[0]: r[1:] for r in rows[1:]}
    assert by_name["Visitors"][0] == "4"
    assert by_name["Conversion rate"][0] == "0.5000"
    assert by_name["Average order value"][0] == "38.33"
    week = admin_client_.get("/admin/personalization/figures/searches.csv?days=7").content.decode()
    assert week.splitlines()[1:] == ["shoes,4,1", "hat,1,1"]
    custom = admin_client_.get(
        "/admin/personalization/figures/funnel.csv?start="
        f"{(rollups.today() - timedelta(days=1)).isoformat()}&end={rollups.today().isoformat()}"
    ).content.decode()
    assert custom.splitlines()[1].startswith("Viewed a product,2,")  # c yesterday, d today


def test_csv_has_no_shopper_ids(store, admin_client_):
    for slug in ("figures", "funnel", "customers", "cohorts", "searches", "no_results"):
        body = admin_client_.get(f"/admin/personalization/figures/{slug}.csv").content.decode()
        for who in ("a", "b", "c", "d", "e"):
            assert f",{who}," not in body and not body.startswith(f"{who},")


def test_csv_needs_the_reports_permission(store, staff_client, analyst_client):
    response = staff_client.get("/admin/personalization/figures/figures.csv", follow=True)
    assert response.redirect_chain == [("/admin/", 302)]  # Wagtail's "no permission" page
    assert "do not have permission" in response.content.decode()
    assert "text/csv" not in response["Content-Type"]
    assert analyst_client.get("/admin/personalization/figures/figures.csv").status_code == 200
    assert analyst_client.get("/admin/personalization/figures/nope.csv").status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "start=yesterday",
        "start=2026-13-01",
        "days=abc",
        "days=8",
        "start=2999-01-01&end=2999-02-01",
    ],
)
def test_a_bad_period_shows_a_period_not_an_error(store, admin_client_, query):
    response = admin_client_.get(f"/admin/personalization/?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="sp-store-headline"' in html
    if query.startswith("start=yesterday") or "13" in query:
        assert "Dates must look like" in html


def test_the_home_panel_shows_the_dashboards_seven_day_conversion(store, admin_client_):
    week = figures(7).overall
    html = admin_client_.get("/admin/").content.decode()
    item = html.split('id="sp-home-conversion"')[1].split("</li>")[0]
    assert f"<strong>{week.conversion_rate * 100:.1f}%</strong>" in item
    assert "<abbr title=" in item
    dashboard = admin_client_.get("/admin/personalization/?days=7").content.decode()
    assert f"{week.conversion_rate * 100:.1f}%" in dashboard.split('id="sp-store-headline"')[1]


def _random_events(rng, days: range, count: int, start: int = 0) -> list[Event]:
    rows: list[Event] = []
    for k in range(count):
        who = f"v{rng.randrange(12)}"
        ago = rng.choice(days)
        kind = rng.choice(["view", "view", "cart_add", "checkout", "purchase", "search"])
        if kind == "search":
            rows.append(search(who, rng.choice(["Hat", "hat ", "boots"]), ago, rng.choice([0, 3])))
        elif kind == "purchase":
            rows.append(
                line(
                    who,
                    f"p{rng.randrange(4)}",
                    rng.choice(["5.00", "12.50"]),
                    f"o{start + k}",
                    ago,
                    quantity=rng.randrange(1, 4),
                )
            )
        else:
            rows.append(event(kind, who, product_id=f"p{rng.randrange(4)}", at=at(ago)))
    return rows


def _snapshot() -> list:
    """Everything the pages show for a few periods, as plain values."""
    store_figures.forget()
    rollups._past_counts.clear()
    today = rollups.today()
    periods = [
        rollups.period(7),
        rollups.period(30),
        rollups.between(today - timedelta(days=12), today - timedelta(days=3)),
    ]
    out = []
    for period in periods:
        f = store_figures.compute(period)
        out.append(
            (
                {g: vars(v) for g, v in f.groups.items()},
                [(c.month, c.customers, c.retained) for c in f.cohorts],
                (f.churn_base, f.churned, f.value.customers, f.value.historical),
                [vars(q) for q in f.top_searches + f.no_result_searches],
                [vars(p) for p in f.viewed_not_bought],
            )
        )
    return out


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_incremental_refreshes_equal_a_full_recomputation(db, seed, monkeypatch):
    import random

    monkeypatch.setattr(store_figures, "MIN_VIEWS", 1)
    rng = random.Random(seed)
    Event.objects.bulk_create(_random_events(rng, range(0, 40), 150))
    rollups.refresh()
    for round_ in range(3):  # late events for past days, each followed by a refresh
        late = _random_events(rng, range(1, 40), 15, start=1000 * (round_ + 1))
        Event.objects.bulk_create(late)
        rollups.refresh()
    incremental = _snapshot()
    rollups.forget()
    rollups.refresh()
    assert _snapshot() == incremental
    # ... and both equal the events themselves (visitors, buyers, orders, revenue)
    start = rollups.bounds(rollups.today() - timedelta(days=29))[0]
    events = Event.objects.filter(occurred_at__gte=start)
    buyers = set(events.filter(type="purchase").values_list("visitor_id", flat=True))
    overall = incremental[1][0]["all"]
    assert overall["visitors"] == len(set(events.values_list("visitor_id", flat=True)))
    assert overall["buyers"] == len(buyers)
    assert overall["orders"] == events.filter(type="purchase").values("order_id").distinct().count()
    assert overall["revenue"] == pytest.approx(
        float(sum(e.price * e.quantity for e in events.filter(type="purchase")))
    )
