"""Every template the apps ship loads `i18n` and shows no words outside translate tags.

The check reads each template with Django's own lexer: text outside `{% translate %}`,
`{% blocktranslate %}` and `{% comment %}` is put back together (variables and tags
dropped) and parsed as HTML; any word in a text node or in a human-readable attribute
(alt, title, aria-label, placeholder) is English a German shopper would see.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.template.base import Lexer, TokenType

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(
    [
        *ROOT.glob("storefront_widgets/templates/**/*.html"),
        *ROOT.glob("personalization_plugin/templates/**/*.html"),
        *ROOT.glob("personalization_plugin/*/templates/**/*.html"),
    ]
)
READABLE_ATTRIBUTES = {"alt", "title", "aria-label", "aria-description", "placeholder"}
# Notation, not language: statistics symbols and metric names read the same in German.
ALLOWED_WORDS = {"z", "t", "n", "Welch", "nDCG"}
WORD = re.compile(r"[^\W\d_]+")
SKIPPED_BLOCKS = {"blocktranslate": "endblocktranslate", "blocktrans": "endblocktrans",
                  "comment": "endcomment"}  # fmt: skip


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def untranslated_markup(source: str) -> str:
    """The template's literal markup outside translation and comment blocks."""
    kept, closing = [], None
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            command = token.contents.split()[0] if token.contents else ""
            if closing is not None:
                closing = None if command == closing else closing
            elif command in SKIPPED_BLOCKS:
                closing = SKIPPED_BLOCKS[command]
        elif token.token_type == TokenType.TEXT and closing is None:
            kept.append(token.contents)
    return "".join(kept)


class VisibleWords(HTMLParser):
    """Words in text nodes and readable attributes, ignoring <style> and <script>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.words: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self._hidden += 1
        for name, value in attrs:
            if name in READABLE_ATTRIBUTES and value:
                self.words += WORD.findall(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._hidden = max(0, self._hidden - 1)

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.words += WORD.findall(data)


def bare_words(source: str) -> list[str]:
    parser = VisibleWords()
    parser.feed(untranslated_markup(source))
    parser.close()
    return [w for w in parser.words if w not in ALLOWED_WORDS]


def test_the_apps_ship_templates() -> None:
    assert len(TEMPLATES) >= 10, [_name(p) for p in TEMPLATES]


@pytest.mark.parametrize("path", TEMPLATES, ids=_name)
def test_template_loads_i18n(path: Path) -> None:
    loads = [
        t.contents.split()[1:]
        for t in Lexer(path.read_text()).tokenize()
        if t.token_type == TokenType.BLOCK and t.contents.startswith("load ")
    ]
    assert any("i18n" in libraries for libraries in loads), f"{_name(path)}: add {{% load i18n %}}"


@pytest.mark.parametrize("path", TEMPLATES, ids=_name)
def test_template_has_no_text_outside_translate_tags(path: Path) -> None:
    assert bare_words(path.read_text()) == []


def test_the_check_finds_a_bare_word_in_text_and_in_an_aria_label() -> None:
    assert bare_words('<button aria-label="Close">{% translate "Yes" %}</button>') == ["Close"]
    assert bare_words("<p>{% if x %}none{% endif %}</p>") == ["none"]


def test_the_check_ignores_translated_text_comments_styles_and_variables() -> None:
    source = (
        "{% load i18n %}{% comment %}Context: item{% endcomment %}"
        '<style>.a { color: red }</style><img alt="{{ product.title }}">'
        "<p>{% blocktranslate %}Hello {{ name }}{% endblocktranslate %}</p>"
    )
    assert bare_words(source) == []
