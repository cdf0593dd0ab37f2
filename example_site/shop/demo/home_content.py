"""The seeded home page body: hero, an editor-placed "for you" shelf, and product grids."""

from __future__ import annotations

import json
from typing import Any

from ..models import HomePage

HERO = {
    "heading": "Good things for home and garden",
    "text": "Linen that softens with every wash, stoneware made by hand, tools that outlast "
    "their owners, and seeds for a windowsill or a whole plot.",
    "button_text": "See what's new",
    "button_link": "/products/?sort=new",
}
TEXT = (
    "<h2>Made to last, chosen with care</h2><p>Every piece in the shop is something we "
    "would use at home. Free returns for 30 days.</p>"
)


def home_body(block_names: set[str]) -> list[dict[str, Any]]:
    """Raw StreamField data; the recommendation block is used when the widgets app provides it."""
    body: list[dict[str, Any]] = [{"type": "hero", "value": HERO}]
    if "recommendations" in block_names:
        body.append(
            {
                "type": "recommendations",
                "value": {
                    "placement": "for_you",
                    "title": "Picked for you",
                    "count": 8,
                    "layout": "grid",
                    "category_id": "",
                },
            }
        )
    body += [
        {
            "type": "product_grid",
            "value": {"title": "New arrivals", "source": "new", "category_slug": "", "count": 8},
        },
        {"type": "text", "value": TEXT},
        {
            "type": "product_grid",
            "value": {
                "title": "Little treats under €25",
                "source": "cheap",
                "category_slug": "",
                "count": 8,
            },
        },
    ]
    return body


def fill_home_page() -> bool:
    """Give an empty home page its demo content and publish it; False when there is nothing to do."""
    home = HomePage.objects.first()
    if home is None or home.body:
        return False
    names = set(HomePage._meta.get_field("body").stream_block.child_blocks)
    home.body = json.dumps(home_body(names))
    home.save_revision().publish()
    return True
