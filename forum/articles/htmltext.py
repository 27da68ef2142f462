"""Sanitised HTML from feeds as markdown, so an imported article is edited like any other.

The input is what ``forum.core.text.sanitise_html`` lets through (paragraphs, headings, lists,
quotes, code, links, emphasis), so that is all this converter needs to know. Rendering the
markdown again gives the same structure; anything outside that set is already gone.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from forum.core.text import sanitise_html

_BLOCK_TAG = re.compile(r"<\s*(p|div|ul|ol|h[1-6]|blockquote|pre|table)\b", re.I)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>~|])")
_LINE_START = re.compile(r"^(\s*)([#+=-]|\d+)([.)]?)(?=\s|$)")
# A hard line break, kept apart from the whitespace that is collapsed around it.
_BREAK = "\x00"
_INLINE = {"em": "*", "i": "*", "strong": "**", "b": "**", "del": "~~"}
_HEADINGS = {f"h{n}": "#" * n for n in range(1, 7)}


def paragraphs_to_html(text: str) -> str:
    """WordPress stores posts and comments with blank lines for paragraphs and adds the <p>
    only when showing them; do the same for text that has no block markup of its own."""
    if _BLOCK_TAG.search(text):
        return text
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n"))]
    return "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in paragraphs if p)


def clean_html(text: str) -> str:
    """Feed content as safe HTML: paragraphs made explicit, then sanitised."""
    return sanitise_html(paragraphs_to_html(text)).strip()


def _escape(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _escape_line_start(match: re.Match) -> str:
    space, mark, punctuation = match.groups()
    if punctuation:
        return f"{space}{mark}\\{punctuation}"  # "1." starts a list; "1\." does not
    return f"{space}\\{mark}" if not mark.isdigit() else match.group(0)


class _Converter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        # Each block with whether it is a list item (items of a list follow each other
        # without a blank line, so the list stays tight).
        self.blocks: list[tuple[str, bool]] = []
        self.line: list[str] = []
        self.lists: list[list] = []  # [kind, next number] per open list
        self.quote_depth = 0
        self.in_pre = False
        self.links: list[str | None] = []

    # Blocks ---------------------------------------------------------------------------------

    def _prefix(self) -> str:
        return "> " * self.quote_depth

    def _flush(self, lead: str = "") -> None:
        text = "".join(self.line)
        self.line = []
        if self.in_pre:
            body = text.strip("\n")
            if body:
                self.blocks.append((self._prefix() + "```\n" + body + "\n```", False))
            return
        text = re.sub(r"[ \t\r\n]+", " ", text).strip(" " + _BREAK)
        text = re.sub(f" ?{_BREAK} ?", "\\\n", text)
        if not text:
            return
        if not lead:
            text = _LINE_START.sub(_escape_line_start, text)
        indent = "   " * max(len(self.lists) - 1, 0) if lead else ""
        text = text.replace("\n", "\n" + self._prefix() + indent + " " * len(lead))
        self.blocks.append((self._prefix() + indent + lead + text, bool(lead)))

    def handle_starttag(self, tag: str, attrs) -> None:
        attributes = dict(attrs)
        if tag in ("ul", "ol") and self.lists:
            self._flush_item()
        elif tag in ("p", "blockquote", "pre", "hr", "ul", "ol", *_HEADINGS):
            self._flush()
        if tag == "blockquote":
            self.quote_depth += 1
        elif tag == "pre":
            self.in_pre = True
        elif tag == "hr":
            self.blocks.append((self._prefix() + "---", False))
        elif tag in ("ul", "ol"):
            start = attributes.get("start") or "1"
            self.lists.append([tag, int(start) if start.isdigit() else 1])
        elif tag == "li":
            self._flush_item()
        elif tag in _HEADINGS:
            self.line.append(_HEADINGS[tag] + " ")
        elif tag in _INLINE:
            self.line.append(_INLINE[tag])
        elif tag == "code" and not self.in_pre:
            self.line.append("`")
        elif tag == "br":
            self.line.append("\n" if self.in_pre else _BREAK)
        elif tag == "a":
            href = attributes.get("href")
            self.links.append(href)
            if href:
                self.line.append("[")

    def _flush_item(self) -> None:
        if not self.lists or not "".join(self.line).strip():
            self.line = []
            return
        kind = self.lists[-1]
        if kind[0] == "ol":
            lead = f"{kind[1]}. "
            kind[1] += 1
        else:
            lead = "- "
        self._flush(lead)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("p", "pre", *_HEADINGS):
            self._flush()
            self.in_pre = self.in_pre and tag != "pre"
        elif tag == "blockquote":
            self._flush()
            self.quote_depth = max(self.quote_depth - 1, 0)
        elif tag == "li":
            self._flush_item()
        elif tag in ("ul", "ol"):
            self._flush_item()
            if self.lists:
                self.lists.pop()
        elif tag in _INLINE:
            self.line.append(_INLINE[tag])
        elif tag == "code" and not self.in_pre:
            self.line.append("`")
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href:
                self.line.append(f"]({href.replace(')', '%29').replace(' ', '%20')})")

    def handle_data(self, data: str) -> None:
        self.line.append(data if self.in_pre else _escape(data))

    def markdown(self) -> str:
        self._flush()
        parts: list[str] = []
        for index, (text, is_item) in enumerate(self.blocks):
            if index:
                parts.append("\n" if is_item and self.blocks[index - 1][1] else "\n\n")
            parts.append(text)
        return "".join(parts)


def html_to_markdown(html: str) -> str:
    """Markdown for sanitised HTML (``clean_html``'s output)."""
    converter = _Converter()
    converter.feed(html)
    converter.close()
    return converter.markdown()
