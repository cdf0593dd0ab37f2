"""The German catalogues are complete, and the committed .mo files match their .po.

Nothing compiles catalogues at install or test time, so a .po edited without running
`compilemessages` would silently ship the old translations: these tests catch that.
"""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = [
    ROOT / "personalization_plugin" / "locale" / "de" / "LC_MESSAGES",
    ROOT / "storefront_widgets" / "locale" / "de" / "LC_MESSAGES",
]
IDS = [str(path.relative_to(ROOT).parts[0]) for path in CATALOGUES]


def po(folder: Path) -> Catalog:
    with open(folder / "django.po", "rb") as handle:
        return read_po(handle, locale="de")


def mo(folder: Path) -> gettext.GNUTranslations:
    with open(folder / "django.mo", "rb") as handle:
        return gettext.GNUTranslations(handle)


@pytest.mark.parametrize("folder", CATALOGUES, ids=IDS)
def test_every_message_has_a_german_translation(folder: Path) -> None:
    catalog = po(folder)
    untranslated = [m.id for m in catalog if m.id and not all(_strings(m.string))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert (untranslated, fuzzy) == ([], [])


@pytest.mark.parametrize("folder", CATALOGUES, ids=IDS)
def test_the_compiled_catalogue_matches_the_po_file(folder: Path) -> None:
    compiled = mo(folder)
    stale = []
    for message in po(folder):
        if not message.id:
            continue
        if message.pluralizable:
            singular, plural = message.id
            got = [compiled.npgettext(message.context, singular, plural, n)
                   if message.context else compiled.ngettext(singular, plural, n)
                   for n in (1, 2)]  # fmt: skip
            expected = list(message.string)
        else:
            got = [
                compiled.pgettext(message.context, message.id)
                if message.context
                else compiled.gettext(message.id)
            ]
            expected = [message.string]
        if got != expected:
            stale.append(message.id)
    assert stale == [], "run `django-admin compilemessages` in the app folder"


@pytest.mark.parametrize("folder", CATALOGUES, ids=IDS)
def test_placeholders_survive_translation(folder: Path) -> None:
    """A translation that drops or renames %(name)s would raise KeyError at runtime."""
    import re

    placeholder = re.compile(r"%\((\w+)\)[sdr]")
    broken = []
    for message in po(folder):
        ids, strings = _strings(message.id), _strings(message.string)
        if message.id and {p for s in ids for p in placeholder.findall(s)} != {
            p for s in strings for p in placeholder.findall(s)
        }:
            broken.append(message.id)
    assert broken == []


def _strings(value: str | tuple[str, ...] | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)
