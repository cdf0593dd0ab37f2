"""Every user-facing string in the code has German in the committed catalogue.

`test_catalogue.py` checks the .po files as they are committed; it cannot see a string
someone added to the code without running `makemessages`. This test runs the real
extraction (Django's `makemessages`, i.e. xgettext over .py, .html and .txt) on a
temporary copy of each app, so the merged result holds every msgid the code has now,
with the committed translation where one exists. A new string comes out untranslated,
an edited one comes out fuzzy: both fail here, listed by name.

The copy keeps the committed files untouched; the test checks that as well.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
APPS = ["personalization_plugin", "storefront_widgets"]
CATALOGUE = Path("locale") / "de" / "LC_MESSAGES" / "django.po"
# Only what makemessages reads for the "django" domain (.py, .html, .txt) and the
# catalogue it merges into; the static bundles are megabytes it would skip anyway.
NOT_SCANNED = shutil.ignore_patterns(
    "__pycache__", "*.mo", "*.js", "*.css", "*.map", "*.png", "*.svg", "*.woff*"
)


def copy_of(app: str, workdir: Path) -> Path:
    """A scratch copy of the app's code and catalogue, for makemessages to rewrite."""
    copy = workdir / app
    shutil.copytree(ROOT / app, copy, ignore=NOT_SCANNED)
    return copy


def makemessages(app_dir: Path) -> Catalog:
    """The German catalogue `makemessages -l de` makes from the code in app_dir."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    # Without settings, makemessages writes only to ./locale (the copy), never to a
    # LOCALE_PATHS entry that could point into the checkout.
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "de", "--no-obsolete"],
        cwd=app_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    with open(app_dir / CATALOGUE, "rb") as handle:
        return read_po(handle, locale="de")


def _strings(value: str | tuple[str, ...] | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _label(msgid: str | tuple[str, ...]) -> str:
    return msgid if isinstance(msgid, str) else " | ".join(msgid)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("app", APPS)
def test_every_string_in_the_code_has_a_german_translation(app: str, tmp_path: Path) -> None:
    committed = ROOT / app / CATALOGUE
    before = _digest(committed)
    catalogue = makemessages(copy_of(app, tmp_path))
    assert _digest(committed) == before, "the extraction must not touch the committed .po"
    messages = [m for m in catalogue if m.id]
    assert messages, f"makemessages found no strings in {app}: the extraction did not run"
    untranslated = [_label(m.id) for m in messages if not all(_strings(m.string))]
    fuzzy = [_label(m.id) for m in messages if m.fuzzy]
    problems = [f"Untranslated: {msgid}" for msgid in untranslated]
    problems += [f"Fuzzy (msgid changed, German not checked): {msgid}" for msgid in fuzzy]
    assert problems == [], (
        f"{app} has user-facing strings without German. In {app}/ run "
        "`DJANGO_SETTINGS_MODULE=tests.settings django-admin makemessages -l de "
        "--no-obsolete`, translate, then `msgfmt --check -o django.mo django.po`.\n  "
        + "\n  ".join(problems)
    )


def test_a_new_string_in_the_code_comes_out_untranslated(tmp_path: Path) -> None:
    """The check above can fail: a fresh gettext call in the code is not in the catalogue."""
    copy = copy_of("storefront_widgets", tmp_path)
    (copy / "i18n_probe.py").write_text(
        "from django.utils.translation import gettext as _\n\n"
        'PROBE = _("A sentence nobody has translated yet.")\n'
    )
    probe = makemessages(copy).get("A sentence nobody has translated yet.")
    assert probe is not None and probe.string == ""
    assert not (ROOT / "storefront_widgets" / "i18n_probe.py").exists()


def test_an_edited_string_comes_out_fuzzy(tmp_path: Path) -> None:
    """Changing an English msgid keeps the old German only as a fuzzy guess, which fails."""
    copy = copy_of("storefront_widgets", tmp_path)
    with open(copy / CATALOGUE, "rb") as handle:
        reference = read_po(handle, locale="de")
    known = next(m.id for m in reference if isinstance(m.id, str) and len(m.id) > 12)
    (copy / "i18n_probe.py").write_text(
        f"from django.utils.translation import gettext as _\n\nPROBE = _({(known + '!')!r})\n"
    )
    edited = makemessages(copy).get(known + "!")
    assert edited is not None and edited.fuzzy
