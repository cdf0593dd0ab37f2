"""Deterministic SVG pictures for products, so the demo needs no image files."""

from __future__ import annotations

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


def product_svg(product: Product, size: int = 400) -> str:
    """An illustration whose colours and shapes follow from the product's id and slug."""
    d = product.digest()
    bg, primary, secondary, ink = PALETTES[d[0] % len(PALETTES)]
    c = size / 2
    shapes: list[str] = [f'<rect width="{size}" height="{size}" fill="{bg}"/>']
    kind = d[1] % 4
    r = size * (0.22 + d[2] / 255 * 0.12)
    if kind == 0:
        shapes.append(f'<circle cx="{c}" cy="{c}" r="{r:.1f}" fill="{primary}"/>')
    elif kind == 1:
        w = r * 1.7
        shapes.append(
            f'<rect x="{c - w / 2:.1f}" y="{c - w / 2:.1f}" width="{w:.1f}" height="{w:.1f}" '
            f'rx="{d[3] % 40}" fill="{primary}"/>'
        )
    elif kind == 2:
        pts = f"{c},{c - r:.1f} {c + r:.1f},{c + r * 0.8:.1f} {c - r:.1f},{c + r * 0.8:.1f}"
        shapes.append(f'<polygon points="{pts}" fill="{primary}"/>')
    else:
        shapes.append(
            f'<ellipse cx="{c}" cy="{c}" rx="{r * 1.2:.1f}" ry="{r * 0.75:.1f}" fill="{primary}"/>'
        )
    for i in range(3):
        x = size * (0.15 + d[4 + i] / 255 * 0.7)
        y = size * (0.15 + d[8 + i] / 255 * 0.7)
        rr = size * (0.04 + d[12 + i] / 255 * 0.06)
        colour = secondary if i % 2 == 0 else ink
        shapes.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{rr:.1f}" fill="{colour}" opacity="0.85"/>'
        )
    band_y = size * (0.78 + d[16] / 255 * 0.08)
    shapes.append(
        f'<rect x="0" y="{band_y:.1f}" width="{size}" height="{size * 0.04:.1f}" fill="{ink}" opacity="0.25"/>'
    )
    title = escape(product.title)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{size}" '
        f'height="{size}" role="img" aria-label="Illustration of {title}"><title>{title}</title>'
        + "".join(shapes)
        + "</svg>"
    )
