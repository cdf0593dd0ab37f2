"""The demo store's stylesheet styles the privacy center like the rest of the store: every
class the center's template uses has a rule, and keyboard focus stays visible."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "storefront_widgets/templates/storefront_widgets/privacy_center.html"
CSS = ROOT / "example_site/shop/static/shop/shop.css"


def test_every_class_of_the_privacy_center_is_styled_by_the_demo() -> None:
    used = {
        c for attr in re.findall(r'class="([^"]+)"', TEMPLATE.read_text()) for c in attr.split()
    }
    styled = set(re.findall(r"\.(sp-privacy[\w-]*)", CSS.read_text()))
    assert used and used <= styled, sorted(used - styled)


def test_the_privacy_center_keeps_a_visible_keyboard_focus() -> None:
    css = CSS.read_text()
    assert re.search(r"\.sp-privacy button:focus-visible[^{]*\{[^}]*outline: 3px", css)
    assert re.search(r"\.sp-privacy a:focus-visible", css)
