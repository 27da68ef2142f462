"""Every word a template shows is marked for translation: the catalogue's completeness test
only sees marked strings, so a sentence left unmarked would stay English in every language."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

COMMENT = re.compile(r"\{#.*?#\}", re.S)
TRANS = re.compile(r"\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}", re.S)
CODE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
PLURAL = re.compile(r"ngettext\(\s*(['\"]).*?\1\s*,\s*(['\"]).*?\2", re.S)
STRING = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
# A literal of two words or more in an expression is prose, unless it is marked.
PROSE = re.compile(r"[a-z]{2,}\s")
MARKED = re.compile(r"(_|gettext)\(\s*$")
HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
TAG = re.compile(r"<[^>]*>", re.S)
SHOWN_ATTRIBUTE = re.compile(r"\b(alt|title|aria-label|placeholder)=\"([^\"]*)\"")
# What is never translated: entities, addresses and paths, and header names.
NOT_WORDS = re.compile(r"&[#\w]+;|https?://\S+|/[\w/.-]*|\bMessage-ID\b")
WORD = re.compile(r"[A-Za-z]{2,}")


def unmarked(path: Path) -> list[str]:
    text = COMMENT.sub("", path.read_text())
    found = []
    for code in CODE.findall(TRANS.sub("", text)):
        code = PLURAL.sub("", code)
        for string in STRING.finditer(code):
            literal = string.group()[1:-1]
            if PROSE.search(literal) and not MARKED.search(code[: string.start()]):
                found.append(f"unmarked literal {literal!r}")
    text = CODE.sub(" ", TRANS.sub(" ", text))
    if path.suffix == ".html":
        text = HTML_COMMENT.sub(" ", text)
        found += [
            f"unmarked {name}={value!r}"
            for name, value in SHOWN_ATTRIBUTE.findall(text)
            if WORD.search(NOT_WORDS.sub(" ", value))
        ]
        text = TAG.sub(" ", text)
    found += [
        f"unmarked text {line.strip()!r}"
        for line in NOT_WORDS.sub(" ", text).splitlines()
        if WORD.search(line)
    ]
    return found


def test_every_template_marks_the_words_it_shows():
    templates = [
        path
        for path in sorted((ROOT / "templates").rglob("*"))
        if path.suffix in (".html", ".txt") and path.is_file()
    ]
    assert len(templates) > 100
    problems = {
        str(path.relative_to(ROOT)): found for path in templates if (found := unmarked(path))
    }
    assert not problems, f"mark these for translation (see tests/core/test_i18n.py): {problems}"


def test_the_check_finds_what_is_left_unmarked(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        '<p title="A tip">{{ _("Marked") }} Left out</p>'
        "{% trans %}Marked too{% endtrans %}{{ 'Left in code' if x }}"
    )
    assert unmarked(page) == [
        "unmarked literal 'Left in code'",
        "unmarked title='A tip'",
        "unmarked text 'Left out'",
    ]
