"""Server-rendered SVG charts: no JavaScript, no CDN, readable without styles.

Each function returns a complete `<svg>` element (marked safe; every label is escaped)
that scales to its container through its viewBox. Callers pass translated titles and
labels; the charts translate only their own "no data" message and month names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from django.utils.dateformat import format as date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, gettext_noop

PALETTE = ("#2e6f95", "#e07a2f", "#3a9d5d", "#b8405e", "#7b61a8", "#8c7b3a", "#4a8fa8")
# Drawn at about the size a dashboard card shows it, so 12-unit text reads as 12 px.
WIDTH, HEIGHT = 480, 200
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 28
LEGEND_ROW = 18
NO_DATA = gettext_noop("No data yet for this period.")


@dataclass(frozen=True)
class Series:
    label: str
    values: Mapping[date, float]


def _day(day: date) -> str:
    """An axis label such as "02 Dec", with the month in the active language."""
    return date_format(day, "d M")


def _number(value: float) -> str:
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    if value >= 1000:
        return f"{value / 1000:.1f}k"
    return f"{value:.0f}" if value == int(value) else f"{value:.2f}"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** len(str(int(value))) / 10
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return value


def _svg(body: list[str], title: str, height: int = HEIGHT) -> SafeString:
    return mark_safe(
        f'<svg class="sp-chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="system-ui, sans-serif" font-size="12">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def empty(title: str, message: str) -> SafeString:
    """A grey box with the reason there is nothing to draw (wrapped to fit)."""
    import textwrap

    lines = textwrap.wrap(message, 56) or [""]
    first = HEIGHT / 2 - 9 * (len(lines) - 1)
    text = "".join(
        f'<text x="{WIDTH / 2}" y="{first + 18 * k:.0f}" text-anchor="middle" fill="#555" '
        f'font-size="13">{escape(line)}</text>'
        for k, line in enumerate(lines)
    )
    box = (
        f'<rect x="1" y="1" width="{WIDTH - 2}" height="{HEIGHT - 2}" rx="6" '
        'fill="#f7f7f7" stroke="#ddd"/>'
    )
    return _svg([box, text], title)


def line_chart(
    series: Sequence[Series],
    days: Sequence[date],
    *,
    title: str,
    value_format: Callable[[float], str] = _number,
) -> SafeString:
    """One line per series over `days` (missing days count as 0), with a legend."""
    if not days or not any(any(s.values.values()) for s in series):
        return empty(title, gettext(NO_DATA))
    top = _nice_max(max((max(s.values.values(), default=0) for s in series), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(1, len(days) - 1)

    def x(i: int) -> float:
        return LEFT + i * step

    def y(v: float) -> float:
        return TOP + plot_h * (1 - v / top)

    body = _grid(top, plot_w, plot_h, value_format)
    last = len(days) - 1
    for i in sorted({0, last // 2, last}):
        anchor = "start" if i == 0 else "end" if i == last else "middle"
        body.append(
            f'<text x="{x(i):.1f}" y="{TOP + plot_h + 16}" text-anchor="{anchor}" fill="#555">'
            f"{escape(_day(days[i]))}</text>"
        )
    for k, s in enumerate(series):
        color = PALETTE[k % len(PALETTE)]
        points = " ".join(f"{x(i):.1f},{y(s.values.get(d, 0)):.1f}" for i, d in enumerate(days))
        body.append(
            f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2" '
            f'data-series="{escape(s.label)}"/>'
        )
        for i, d in enumerate(days):
            v = s.values.get(d, 0)
            if v:
                body.append(
                    f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.5" fill="{color}">'
                    f"<title>{escape(s.label)} {escape(_day(d))}: {escape(value_format(v))}</title></circle>"
                )
    legend, rows = _legend([s.label for s in series], HEIGHT)
    return _svg(body + legend, title, HEIGHT + rows * LEGEND_ROW)


def _grid(
    top: float, plot_w: float, plot_h: float, value_format: Callable[[float], str]
) -> list[str]:
    body = []
    for frac in (0, 0.25, 0.5, 0.75, 1):
        gy = TOP + plot_h * (1 - frac)
        body.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{gy:.1f}" y2="{gy:.1f}" '
            f'stroke="{"#999" if frac == 0 else "#e5e5e5"}"/>'
        )
        body.append(
            f'<text x="{LEFT - 6}" y="{gy + 4:.1f}" text-anchor="end" fill="#555">'
            f"{escape(value_format(top * frac))}</text>"
        )
    return body


def _legend(labels: Sequence[str], top: float) -> tuple[list[str], int]:
    """Legend entries under the plot, wrapped onto as many rows as they need."""
    body, lx, row = [], float(LEFT), 0
    for k, label in enumerate(labels):
        width = 24 + 7.2 * len(label)
        if lx + width > WIDTH and lx > LEFT:
            lx, row = float(LEFT), row + 1
        color = PALETTE[k % len(PALETTE)]
        ly = top + row * LEGEND_ROW
        body.append(
            f'<rect x="{lx:.0f}" y="{ly:.0f}" width="10" height="10" fill="{color}"/>'
            f'<text x="{lx + 14:.0f}" y="{ly + 9:.0f}" fill="#333">{escape(label)}</text>'
        )
        lx += width
    return body, row + 1


def bar_chart(
    bars: Sequence[tuple[str, float]],
    *,
    title: str,
    value_format: Callable[[float], str] = _number,
    empty_message: str = "",
) -> SafeString:
    """Horizontal bars, one per (label, value), longest scale to the widest bar."""
    if not bars:
        return empty(title, empty_message or gettext(NO_DATA))
    row, label_w = 26, 120
    height = TOP + row * len(bars) + 8
    top = max(v for _, v in bars) or 1.0
    plot_w = WIDTH - label_w - 60
    body = []
    for k, (label, value) in enumerate(bars):
        by = TOP + k * row
        w = plot_w * value / top
        color = PALETTE[k % len(PALETTE)]
        body.append(
            f'<text x="{label_w - 8}" y="{by + 15}" text-anchor="end" fill="#333">'
            f"{escape(label)}</text>"
            f'<rect x="{label_w}" y="{by + 3}" width="{max(w, 1):.1f}" height="{row - 8}" '
            f'fill="{color}" rx="2"><title>{escape(label)}: {escape(value_format(value))}</title></rect>'
            f'<text x="{label_w + max(w, 1) + 6:.1f}" y="{by + 15}" fill="#333">'
            f"{escape(value_format(value))}</text>"
        )
    return _svg(body, title, height)


def percent(value: float) -> str:
    """A share as a percentage with one decimal, in the active language ("12.5%", "12,5%")."""
    from django.utils.formats import number_format

    return number_format(round(value * 100, 1), 1) + "%"


def money(value: float, currency: str = "") -> str:
    """An amount as the owner reads it: with the store's currency in the active language
    ("€1,234.50"), or a plain number when the currency is unknown."""
    code = (currency or "").strip().upper()
    if len(code) == 3 and code.isalpha():
        from babel.numbers import UnknownCurrencyError, format_currency, is_currency
        from django.conf import settings
        from django.utils.translation import get_language, to_locale

        locale = to_locale(get_language() or settings.LANGUAGE_CODE)
        try:
            if is_currency(code):
                return format_currency(round(value, 2), code, locale=locale)
        except (UnknownCurrencyError, ValueError, TypeError):
            pass
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
    return f"{text} {code}".strip()


def signed_percent(value: float) -> str:
    """A relative change as "+12.3%" / "-4.0%" (the sign always shown)."""
    return f"{value * 100:+.1f}%"


def p_value(value: float) -> str:
    """A p-value an owner can read: "< 0.001" for tiny ones, else two or three decimals
    (never 3.3088535776867584e-221)."""
    if value < 0.001:
        return "< 0.001"
    if value < 0.01:
        return f"{value:.3f}"
    return f"{value:.2f}"
