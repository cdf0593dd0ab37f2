"""SVG charts: complete, escaped, and honest about having nothing to draw."""

from __future__ import annotations

import re
from datetime import date, timedelta

from personalization_plugin.admin.charts import Series, bar_chart, line_chart, percent

DAYS = [date(2026, 5, 1) + timedelta(days=k) for k in range(5)]


def test_line_chart_draws_one_polyline_per_series_with_a_point_per_day():
    svg = line_chart(
        [Series("Views", {DAYS[0]: 3, DAYS[4]: 9}), Series("Clicks", {DAYS[2]: 1})],
        DAYS,
        title="Events",
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<polyline") == 2
    assert svg.count('data-series="Views"') == 1
    # one comma-separated point per day in each line
    views = svg.split('<polyline points="')[1].split('"')[0]
    assert len(views.split()) == len(DAYS)


def test_labels_are_escaped():
    svg = bar_chart([("<script>alert(1)</script>", 2.0)], title="T & <b>")
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg and "T &amp; &lt;b&gt;" in svg


def test_all_zero_series_show_the_empty_state():
    svg = line_chart([Series("Views", {})], DAYS, title="Events")
    assert "No data yet for this period." in svg and "<polyline" not in svg


def test_bar_widths_are_proportional_to_values():
    svg = bar_chart([("a", 0.5), ("b", 0.25)], title="CTR", value_format=percent)
    widths = [float(w) for w in re.findall(r'<rect x="\d+" y="[\d.]+" width="([\d.]+)"', svg)]
    assert len(widths) == 2 and widths[0] == 2 * widths[1]
    assert "50.0%" in svg and "25.0%" in svg


def test_empty_bar_chart_says_why():
    assert "Nothing yet" in bar_chart([], title="Segments", empty_message="Nothing yet")
