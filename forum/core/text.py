"""User text: markdown rendered once at write time, sanitised, and stored as HTML."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p", "br", "em", "strong", "a", "blockquote", "ul", "ol", "li",
    "code", "pre", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "del",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow ugc noopener"

# Spaces that scraped text carries inside words and between them.
_ODD_SPACES = re.compile(r"[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\t\f\v]")
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@cache
def _markdown() -> MarkdownIt:
    # CommonMark with raw HTML switched off: a "<script>" in a post is shown as text.
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("strikethrough")


def sanitise_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
    )


def render_markdown(source: str) -> str:
    """Markdown to safe HTML: no raw HTML, only http(s) and mailto links, rel=nofollow ugc."""
    return sanitise_html(_markdown().render(source))


def clean_input(value: str | None) -> str | None:
    """What every submitted text field goes through: no NUL or control bytes, LF line ends."""
    if value is None:
        return None
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", value)


def normalise_whitespace(line: str) -> str:
    """One line of scraped text: odd spaces made plain, invisible ones dropped, runs collapsed."""
    line = unicodedata.normalize("NFC", line)
    line = _INVISIBLE.sub("", _ODD_SPACES.sub(" ", line))
    return re.sub(r" {2,}", " ", line).strip()


def excerpt(text: str, length: int = 200) -> str:
    text = " ".join(text.split())
    if len(text) <= length:
        return text
    return text[: length - 1].rsplit(" ", 1)[0] + "…"


def slugify(text: str, max_length: int = 80) -> str:
    text = re.sub(r"['’]", "", text)  # "Korea’s" reads better as "koreas" than "korea-s"
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-zA-Z0-9]+", "-", text.lower()).strip("-")
    return text[:max_length].rstrip("-") or "untitled"
