"""The dashboard's store-wide tables, one definition for the page and its CSV files.

Each table is built once from `reports.store_figures.compute(period)`; the page shows
the cells formatted (percent, money), the CSV download the raw numbers. No table holds
a shopper id: rows are figures, months, search texts and product ids.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from personalization_plugin.admin import charts
from personalization_plugin.reports import store_figures

PERIODS = (7, 30, 90)
MAX_CUSTOM_DAYS = 730

# One line per figure: what the owner sees on hover, and what docs/admin.md expands.
DEFINITIONS = {
    "visitors": _(
        "People (signed-in customers, else anonymous visitors) with any event in the period."
    ),
    "conversion_rate": _("Visitors who placed at least one order, divided by all visitors."),
    "orders": _("Distinct orders placed in the period."),
    "revenue": _("Sum of price × quantity of every order line in the period."),
    "average_order_value": _("Order revenue divided by the number of orders."),
    "units_per_order": _("Units bought (order line quantities) divided by the number of orders."),
    "repeat_rate": _(
        "Buyers of the period with two or more orders in it, divided by all its buyers."
    ),
    "churn_rate": _(
        "Customers who ordered in the previous period of the same length but not in this one, divided by the previous period's customers."
    ),
    "historical_clv": _(
        "Average revenue per customer who ordered in the period, over all their orders up to the period's end."
    ),
    "predicted_clv": _(
        "Average revenue the period's customers are expected to bring in the next 12 months (BG/NBD and Gamma-Gamma model fitted on the store's orders)."
    ),
    "holdout_error": _(
        "The model refitted without the last 30 days predicted those days' orders; positive means it over-predicted."
    ),
    "funnel": _(
        "Visitors who viewed a product, added one to the cart, started checkout and ordered, in the period."
    ),
    "cohorts": _(
        "Customers whose first order falls in the period, by its month, and the share of them who ordered in each month after (month 0 is the first order)."
    ),
    "searches": _("Searches per query text (case and spacing ignored) in the period."),
    "no_results": _("Searches the store's search reported as finding nothing, per query text."),
    "viewed_not_bought": _(
        "Most viewed products (at least 10 views) bought at under half the store's order lines per product view."
    ),
    "personalized": _(
        "Visitors served personalized recommendations: not held out by any experiment in the period."
    ),
    "held_out": _(
        "Visitors in the non-personalized baseline arm of an experiment running in the period."
    ),
}


@dataclass
class Cell:
    value: float | int | str | None
    kind: str = "int"  # int | percent | money | ratio | text | share

    def display(self, currency: str) -> str:
        v = self.value
        if v is None:
            return "–"
        if self.kind == "percent":
            return charts.percent(float(v))
        if self.kind == "signed":
            return f"{float(v) * 100:+.1f}%"
        if self.kind == "money":
            return charts.money(float(v), currency)
        if self.kind == "ratio":
            return f"{float(v):.2f}"
        return str(v)

    def raw(self) -> str:
        v = self.value
        if v is None:
            return ""
        if self.kind in ("percent", "signed"):
            return f"{float(v):.4f}"
        if self.kind in ("money", "ratio"):
            return f"{float(v):.2f}"
        return str(v)


@dataclass
class Table:
    slug: str
    title: str
    definition: str
    header: list[str]
    rows: list[tuple[str, str, list[Cell]]] = field(default_factory=list)  # label, hint, cells
    empty: str = ""
    currency: str = ""

    @property
    def shown(self) -> list[tuple[str, str, list[str]]]:
        """The rows as the page shows them (percent, money in the store's currency)."""
        return [
            (label, hint, [c.display(self.currency) for c in cells])
            for label, hint, cells in self.rows
        ]

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(self.header)
        for label, _hint, cells in self.rows:
            writer.writerow([label, *(c.raw() for c in cells)])
        return out.getvalue()


def _groups_row(
    name: str, label: str, kind: str, get: Callable[[store_figures.GroupFigures], object], f
) -> tuple[str, str, list[Cell]]:
    return (
        label,
        str(DEFINITIONS[name]),
        [Cell(get(f.groups[g]), kind) for g in store_figures.GROUPS],  # type: ignore[arg-type]
    )


def headline(f: store_figures.StoreFigures, currency: str) -> list[tuple[str, str, str]]:
    """The four store figures above the tables: (label, value, definition)."""
    o = f.overall
    return [
        (
            gettext("conversion rate"),
            Cell(o.conversion_rate, "percent").display(currency),
            str(DEFINITIONS["conversion_rate"]),
        ),
        (
            gettext("average order value"),
            Cell(o.average_order_value, "money").display(currency),
            str(DEFINITIONS["average_order_value"]),
        ),
        (gettext("orders"), Cell(o.orders).display(currency), str(DEFINITIONS["orders"])),
        (
            gettext("repeat-purchase rate"),
            Cell(o.repeat_rate, "percent").display(currency),
            str(DEFINITIONS["repeat_rate"]),
        ),
    ]


def tables(f: store_figures.StoreFigures, currency: str = "") -> list[Table]:
    group_header = [gettext("All visitors"), gettext("Personalized"), gettext("Held out")]
    figures = Table(
        "figures",
        gettext("Store figures"),
        gettext(
            "Each figure for all visitors, those served personalized lists and those held out."
        ),
        [gettext("Figure"), *group_header],
    )
    figures.rows = [
        _groups_row("visitors", gettext("Visitors"), "int", lambda g: g.visitors, f),
        _groups_row(
            "conversion_rate", gettext("Conversion rate"), "percent", lambda g: g.conversion_rate, f
        ),
        _groups_row("orders", gettext("Orders"), "int", lambda g: g.orders, f),
        _groups_row("revenue", gettext("Order revenue"), "money", lambda g: g.revenue, f),
        _groups_row(
            "average_order_value",
            gettext("Average order value"),
            "money",
            lambda g: g.average_order_value,
            f,
        ),
        _groups_row(
            "units_per_order", gettext("Units per order"), "ratio", lambda g: g.units_per_order, f
        ),
        _groups_row(
            "repeat_rate", gettext("Repeat-purchase rate"), "percent", lambda g: g.repeat_rate, f
        ),
    ]
    steps = {
        "view": gettext("Viewed a product"),
        "cart": gettext("Added to cart"),
        "checkout": gettext("Started checkout"),
        "order": gettext("Ordered"),
    }
    funnel = Table(
        "funnel",
        gettext("Funnel: view → cart → checkout → order"),
        str(DEFINITIONS["funnel"]),
        [
            gettext("Step"),
            gettext("All visitors"),
            gettext("Of the step before"),
            gettext("Personalized"),
            gettext("Held out"),
        ],
    )
    by_group = {g: f.groups[g].funnel for g in store_figures.GROUPS}
    for i, (step, n, share) in enumerate(by_group["all"]):
        funnel.rows.append(
            (
                steps[step],
                "",
                [
                    Cell(n),
                    Cell(share, "percent"),
                    Cell(by_group["personalized"][i][1]),
                    Cell(by_group["held_out"][i][1]),
                ],
            )
        )
    value = f.value
    holdout = value.holdout
    customers = Table(
        "customers",
        gettext("Customers"),
        gettext("Churn and customer lifetime value over the period."),
        [gettext("Figure"), gettext("Value")],
    )
    customers.rows = [
        (gettext("Churn rate"), str(DEFINITIONS["churn_rate"]), [Cell(f.churn_rate, "percent")]),
        (
            gettext("Customer lifetime value (historical)"),
            str(DEFINITIONS["historical_clv"]),
            [Cell(value.historical, "money")],
        ),
        (
            gettext("Customer lifetime value (predicted, next 12 months)"),
            str(DEFINITIONS["predicted_clv"]),
            [Cell(value.predicted, "money")],
        ),
        (
            gettext("Prediction error on the last 30 days: orders"),
            str(DEFINITIONS["holdout_error"]),
            [Cell(holdout.orders_error if holdout else None, "signed")],
        ),
        (
            gettext("Prediction error on the last 30 days: revenue"),
            str(DEFINITIONS["holdout_error"]),
            [Cell(holdout.revenue_error if holdout else None, "signed")],
        ),
    ]
    width = f.cohort_width
    cohorts = Table(
        "cohorts",
        gettext("Retention by monthly cohort"),
        str(DEFINITIONS["cohorts"]),
        [gettext("First order in"), gettext("Customers")]
        + [gettext("Month %(n)d") % {"n": k} for k in range(width)],
        empty=gettext("No customer placed a first order in this period."),
    )
    for c in f.cohorts:
        cells = [Cell(c.customers)] + [Cell(r, "percent") for r in c.retained]
        cells += [Cell(None)] * (width - len(c.retained))
        cohorts.rows.append((c.month.strftime("%Y-%m"), "", cells))
    searches = Table(
        "searches",
        gettext("Top searches"),
        str(DEFINITIONS["searches"]),
        [gettext("Search"), gettext("Searches"), gettext("With no results")],
        [(q.query, "", [Cell(q.searches), Cell(q.no_results)]) for q in f.top_searches],
        empty=gettext("No searches recorded in this period."),
    )
    no_results = Table(
        "no_results",
        gettext("Searches with no results"),
        str(DEFINITIONS["no_results"]),
        [gettext("Search"), gettext("With no results"), gettext("Searches")],
        [(q.query, "", [Cell(q.no_results), Cell(q.searches)]) for q in f.no_result_searches],
        empty=gettext(
            "No search found nothing in this period (or the search does not report results)."
        ),
    )
    rarely = Table(
        "viewed_not_bought",
        gettext("Most viewed, rarely bought"),
        str(DEFINITIONS["viewed_not_bought"]),
        [gettext("Product"), gettext("Views"), gettext("Order lines"), gettext("Lines per view")],
        [
            (
                p.product_id,
                "",
                [Cell(p.views), Cell(p.order_lines), Cell(p.lines_per_view, "ratio")],
            )
            for p in f.viewed_not_bought
        ],
        empty=gettext("No product is viewed often and bought rarely in this period."),
    )
    every = [figures, funnel, customers, cohorts, searches, no_results, rarely]
    for table in every:
        table.currency = currency
    return every


@dataclass
class Choice:
    """The period the owner chose: the last `days` days, or custom first..last."""

    first: date
    last: date
    days: int | None  # one of PERIODS, or None for a custom period
    error: str = ""

    @property
    def query(self) -> str:
        if self.days:
            return f"days={self.days}"
        return f"start={self.first.isoformat()}&end={self.last.isoformat()}"

    @property
    def length(self) -> int:
        return (self.last - self.first).days + 1


def choose(params: dict, today: date) -> Choice:
    """Parse ?days= or ?start=&end= (ISO dates). Bad input: the 30 days and a message
    saying what was wrong, never an error page."""
    default = Choice(today - timedelta(days=29), today, 30)
    start, end = params.get("start"), params.get("end")
    if start or end:
        try:
            first = date.fromisoformat(start or "")
            last = date.fromisoformat(end or "") if end else today
        except ValueError:
            return Choice(
                default.first,
                default.last,
                30,
                gettext("Dates must look like 2026-01-31; showing the last 30 days."),
            )
        if first > last:
            first, last = last, first
        last = min(last, today)
        if first > today:
            first = last
        if (last - first).days + 1 > MAX_CUSTOM_DAYS:
            first = last - timedelta(days=MAX_CUSTOM_DAYS - 1)
        return Choice(first, last, None)
    try:
        days = int(params.get("days", 30))
    except ValueError:
        return default
    if days not in PERIODS:
        return default
    return Choice(today - timedelta(days=days - 1), today, days)
