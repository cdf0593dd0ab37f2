"""The static assets: the tracking script stays small and speaks the intake's event schema,
htmx is vendored with its license."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import storefront_widgets
from personalization_plugin.core.events import STOREFRONT_EVENTS, STOREFRONT_FIELDS, EventType

STATIC = Path(storefront_widgets.__file__).parent / "static" / "storefront_widgets"


def test_tracker_is_under_3_kb_gzipped() -> None:
    size = len(gzip.compress((STATIC / "tracker.js").read_bytes(), compresslevel=9))
    assert size < 3 * 1024, f"tracker.js is {size} bytes gzipped"


def test_tracker_has_no_dependencies() -> None:
    source = (STATIC / "tracker.js").read_text()
    assert "import " not in source and "require(" not in source
    assert "navigator.sendBeacon" in source


def test_htmx_is_vendored_with_its_license_header() -> None:
    source = (STATIC / "htmx.min.js").read_text()
    assert source.startswith("/*! htmx.org 2.")
    assert "Zero-Clause BSD" in source.splitlines()[0]
    assert "Zero-Clause BSD" in (STATIC / "htmx.LICENSE").read_text()


def test_tracker_sends_only_event_types_the_intake_accepts() -> None:
    # tracker.js cannot import the Python schema, so this keeps its copy from drifting.
    source = (STATIC / "tracker.js").read_text()
    sent = set(re.findall(r'describe\(link, "(\w+)"\)', source))
    assert sent == {EventType.IMPRESSION.value, EventType.CLICK.value}
    assert sent <= {t.value for t in STOREFRONT_EVENTS}


def test_tracker_sends_only_fields_the_intake_reads() -> None:
    source = (STATIC / "tracker.js").read_text()
    body = source[source.index("var event = {") : source.index("};", source.index("var event = {"))]
    keys = set(re.findall(r"^\s*(\w+):", body, flags=re.MULTILINE)) - {"type"}
    assert "product_id" in keys and "recommendation_id" in keys
    assert keys <= set(STOREFRONT_FIELDS)
