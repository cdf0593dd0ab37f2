"""The summary panel on the Wagtail admin home page."""

from __future__ import annotations

from typing import Any

from wagtail.admin.ui.components import Component

from personalization_plugin.admin import charts, store_report
from personalization_plugin.reports import dashboard as reports


class SummaryPanel(Component):
    name = "personalization_summary"
    order = 150
    template_name = "personalization_plugin/admin/home_panel.html"

    def get_context_data(self, parent_context: Any = None) -> dict[str, Any]:
        from personalization_plugin.experiments.metrics import store_currency

        summary = reports.summary()
        return {
            "summary": summary,
            "ctr": charts.percent(summary.ctr),
            "attributed": charts.money(summary.attributed_revenue, store_currency()),
            "attribution_days": reports.rollups.ATTRIBUTION_DAYS,
            "conversion": store_report.Cell(summary.conversion_rate, "percent").display(""),
            "order_value": store_report.Cell(summary.average_order_value, "money").display(
                store_currency()
            ),
            "definitions": store_report.DEFINITIONS,
        }
