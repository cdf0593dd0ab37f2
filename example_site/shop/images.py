"""Deterministic SVG pictures for products, so the demo needs no image files.

Each category has a simple motif (a pan, a mug, a plant pot, ...); colours, size, tilt
and the background dots follow from a hash of the product, so every product looks
different and always the same.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from .models import Product

PALETTES = [
    ("#f4efe6", "#c8553d", "#2d3047", "#93b7be"),
    ("#eef3ea", "#588b8b", "#f28f3b", "#2f3e46"),
    ("#f7f1e3", "#6b9080", "#a4c3b2", "#3d405b"),
    ("#fdf6ec", "#d08c60", "#797d62", "#9b9b7a"),
    ("#eef1f6", "#4a6fa5", "#ffc857", "#2e2e3a"),
    ("#f6eee8", "#9e2a2b", "#e09f3e", "#335c67"),
    ("#edf6f9", "#006d77", "#83c5be", "#e29578"),
    ("#f5f0f6", "#7d5ba6", "#f2b5d4", "#3c3744"),
]

# Motifs draw in a 100 x 100 box with (main colour, accent colour, ink colour).
Motif = Callable[[str, str, str], str]


def _pan(m: str, a: str, k: str) -> str:
    return (
        f'<rect x="62" y="46" width="34" height="8" rx="4" fill="{k}"/>'
        f'<circle cx="40" cy="50" r="30" fill="{m}"/><circle cx="40" cy="50" r="22" fill="{k}" opacity=".25"/>'
    )


def _towel(m: str, a: str, k: str) -> str:
    return (
        f'<rect x="25" y="12" width="50" height="76" rx="3" fill="{m}"/>'
        f'<rect x="25" y="70" width="50" height="5" fill="{a}"/><rect x="25" y="78" width="50" height="3" fill="{a}"/>'
        f'<rect x="42" y="6" width="16" height="10" rx="5" fill="none" stroke="{k}" stroke-width="3"/>'
    )


def _plate(m: str, a: str, k: str) -> str:
    return (
        f'<circle cx="50" cy="50" r="40" fill="{m}"/><circle cx="50" cy="50" r="28" fill="{a}" opacity=".6"/>'
        f'<circle cx="50" cy="50" r="28" fill="none" stroke="{k}" stroke-width="1.5" opacity=".4"/>'
    )


def _mug(m: str, a: str, k: str) -> str:
    return (
        f'<circle cx="72" cy="52" r="13" fill="none" stroke="{m}" stroke-width="7"/>'
        f'<rect x="22" y="28" width="48" height="56" rx="8" fill="{m}"/>'
        f'<path d="M36 20 q4 -6 0 -12 M48 20 q4 -6 0 -12" stroke="{k}" stroke-width="3" fill="none" opacity=".5"/>'
    )


def _candle(m: str, a: str, k: str) -> str:
    return (
        f'<rect x="34" y="36" width="32" height="54" rx="3" fill="{m}"/>'
        f'<rect x="49" y="28" width="2" height="9" fill="{k}"/>'
        f'<ellipse cx="50" cy="20" rx="6" ry="10" fill="{a}"/>'
    )


def _diffuser(m: str, a: str, k: str) -> str:
    return (
        f'<path d="M44 50 L30 6 M50 50 L50 4 M56 50 L70 8" stroke="{k}" stroke-width="2.5"/>'
        f'<rect x="30" y="46" width="40" height="44" rx="10" fill="{m}"/><rect x="42" y="40" width="16" height="8" fill="{a}"/>'
    )


def _pillow(m: str, a: str, k: str) -> str:
    return (
        f'<rect x="10" y="26" width="80" height="50" rx="18" fill="{m}"/>'
        f'<path d="M22 40 H78 M22 51 H78 M22 62 H78" stroke="{a}" stroke-width="3" opacity=".7"/>'
    )


def _towels(m: str, a: str, k: str) -> str:
    return (
        f'<rect x="16" y="60" width="68" height="22" rx="6" fill="{k}" opacity=".8"/>'
        f'<rect x="20" y="40" width="60" height="22" rx="6" fill="{a}"/><rect x="24" y="20" width="52" height="22" rx="6" fill="{m}"/>'
    )


def _basket(m: str, a: str, k: str) -> str:
    return (
        f'<path d="M14 36 H86 L76 88 H24 Z" fill="{m}"/>'
        f'<path d="M18 52 H82 M21 68 H79" stroke="{k}" stroke-width="3" opacity=".35"/>'
        f'<path d="M30 36 Q50 6 70 36" fill="none" stroke="{a}" stroke-width="5"/>'
    )


def _lamp(m: str, a: str, k: str) -> str:
    return (
        f'<path d="M32 14 H68 L80 46 H20 Z" fill="{m}"/><rect x="47" y="46" width="6" height="36" fill="{k}"/>'
        f'<ellipse cx="50" cy="86" rx="20" ry="6" fill="{a}"/>'
    )


def _trowel(m: str, a: str, k: str) -> str:
    return (
        f'<g transform="rotate(35 50 50)"><rect x="45" y="60" width="10" height="32" rx="5" fill="{a}"/>'
        f'<rect x="48" y="50" width="4" height="12" fill="{k}"/><path d="M50 6 C70 20 66 44 50 52 C34 44 30 20 50 6 Z" fill="{m}"/></g>'
    )


def _pot(m: str, a: str, k: str) -> str:
    return (
        f'<path d="M50 46 C40 30 30 28 22 30 C30 40 38 44 50 46 Z M50 46 C58 26 70 22 80 22 C74 36 64 44 50 46 Z" fill="{a}"/>'
        f'<rect x="22" y="46" width="56" height="12" rx="2" fill="{m}"/><path d="M26 58 H74 L68 90 H32 Z" fill="{m}"/>'
        f'<path d="M26 58 H74" stroke="{k}" stroke-width="2" opacity=".3"/>'
    )


def _packet(m: str, a: str, k: str) -> str:
    return (
        f'<rect x="24" y="10" width="52" height="80" rx="3" fill="{m}"/><circle cx="50" cy="44" r="16" fill="{a}"/>'
        f'<path d="M30 72 H70 M30 80 H60" stroke="{k}" stroke-width="3" opacity=".4"/>'
    )


def _chair(m: str, a: str, k: str) -> str:
    return (
        f'<path d="M28 12 L34 56 M28 88 L34 56 L72 56 L78 88 M72 56 L70 40" stroke="{k}" stroke-width="5" fill="none" stroke-linecap="round"/>'
        f'<path d="M26 10 L34 54 L70 54 L60 10 Z" fill="{m}"/><rect x="30" y="50" width="46" height="8" rx="3" fill="{a}"/>'
    )


def _birdhouse(m: str, a: str, k: str) -> str:
    return (
        f'<rect x="47" y="80" width="6" height="16" fill="{k}"/><rect x="26" y="38" width="48" height="44" fill="{m}"/>'
        f'<path d="M18 42 L50 12 L82 42 Z" fill="{a}"/><circle cx="50" cy="56" r="8" fill="{k}"/>'
    )


def _bottle(m: str, a: str, k: str) -> str:
    return (
        f'<rect x="32" y="40" width="36" height="50" rx="8" fill="{m}"/><rect x="42" y="24" width="16" height="18" fill="{a}"/>'
        f'<path d="M42 24 H70 V32 H58" fill="{k}"/><rect x="38" y="56" width="24" height="20" rx="3" fill="{a}" opacity=".6"/>'
    )


MOTIFS: dict[str, Motif] = {
    "cookware": _pan,
    "kitchen-textiles": _towel,
    "tableware": _plate,
    "coffee-tea": _mug,
    "candles": _candle,
    "home-fragrance": _diffuser,
    "bedding": _pillow,
    "bath": _towels,
    "storage": _basket,
    "lighting": _lamp,
    "garden-tools": _trowel,
    "planters": _pot,
    "seeds-bulbs": _packet,
    "outdoor-living": _chair,
    "bird-wildlife": _birdhouse,
    "plant-care": _bottle,
}


def _fallback(m: str, a: str, k: str) -> str:
    return f'<circle cx="50" cy="50" r="34" fill="{m}"/><circle cx="62" cy="40" r="10" fill="{a}"/>'


def product_svg(product: Product, size: int = 400) -> str:
    """An illustration of the product's category, varied by a hash of its id and slug."""
    d = product.digest()
    bg, primary, secondary, ink = PALETTES[d[0] % len(PALETTES)]
    if d[1] % 2:
        primary, secondary = secondary, primary
    motif = MOTIFS.get(product.category.slug, _fallback)
    scale = size / 100 * (0.62 + d[2] / 255 * 0.14)
    offset = (size - 100 * scale) / 2
    tilt = (d[3] / 255 - 0.5) * 16
    dots = "".join(
        f'<circle cx="{size * (0.08 + d[4 + i] / 255 * 0.84):.1f}" cy="{size * (0.08 + d[8 + i] / 255 * 0.84):.1f}" '
        f'r="{size * (0.015 + d[12 + i] / 255 * 0.03):.1f}" fill="{secondary}" opacity="0.35"/>'
        for i in range(4)
    )
    title = escape(product.title)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{size}" '
        f'height="{size}" role="img" aria-label="Illustration of {title}"><title>{title}</title>'
        f'<rect width="{size}" height="{size}" fill="{bg}"/>{dots}'
        f'<ellipse cx="{size / 2}" cy="{size * 0.86:.1f}" rx="{size * 0.3:.1f}" ry="{size * 0.035:.1f}" fill="{ink}" opacity="0.12"/>'
        f'<g transform="translate({offset:.1f} {offset:.1f}) scale({scale:.3f}) rotate({tilt:.1f} 50 50)">'
        f"{motif(primary, secondary, ink)}</g></svg>"
    )
