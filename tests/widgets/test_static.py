"""The static assets: the tracking script stays small, htmx is vendored with its license."""

from __future__ import annotations

import gzip
from pathlib import Path

import storefront_widgets

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
