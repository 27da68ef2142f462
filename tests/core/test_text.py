from __future__ import annotations

import pytest

from forum.core.text import clean_input, normalise_whitespace, render_markdown, slugify
from tests.html import elements, unsafe_markup


def test_commonmark_basics_render():
    html = render_markdown("*em* **strong**\n\n> quoted\n\n- one\n- two\n\n`code`")
    for tag in ("<em>em</em>", "<strong>strong</strong>", "<blockquote>", "<li>one</li>", "<code>"):
        assert tag in html


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "<iframe src='https://evil.example'></iframe>",
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](data:text/html,hi)",
        "[x](vbscript:msgbox)",
        '<a href="https://example.org" onmouseover="x()">hover</a>',
        "![img](https://example.org/tracker.png)",
    ],
)
def test_no_raw_html_scripts_or_dangerous_links(source):
    # Refused markup may stay as visible text; what matters is the elements and attributes.
    html = render_markdown(source)
    assert unsafe_markup(html) == []
    assert "img" not in {tag for tag, _ in elements(html)}


def test_links_are_nofollow_user_content():
    assert render_markdown("<https://example.org>") == (
        '<p><a href="https://example.org" rel="nofollow ugc noopener">https://example.org</a></p>\n'
    )


def test_input_loses_nul_and_control_bytes_but_keeps_lines():
    assert clean_input("a\x00b\x07c\r\nd\te") == "abc\nd\te"


def test_scraped_whitespace_is_made_plain():
    assert normalise_whitespace("North\u00a0Korea\u2019s\u200b  border ") == "North Korea’s border"


def test_slugs_are_ascii_and_bounded():
    assert slugify("Beijing Signals Through North Korean Defectors") == (
        "beijing-signals-through-north-korean-defectors"
    )
    assert slugify("Ça va — d’accord?") == "ca-va-daccord"
    assert slugify("North Korea's border") == "north-koreas-border"
    assert slugify("!!!") == "untitled"
    assert len(slugify("word " * 100)) <= 80
