"""Articles as plain text in the seed's shape, and article bodies as HTML with their figures.

The shape, one block per paragraph, blocks separated by blank lines::

    Publication
    [June 14, 2016]                      optional date line
    Title
    caption ... (Name/Agency)            photo captions, anywhere before the references
    body paragraphs ...                  (a stray copy of the title among them is dropped)
    To read more on this topic:
    reference ...
    Author Name
    bio paragraphs ...
    Some Discussion group                the group that discusses the article

Scraped pages repeat a photo's caption: first as the wire service wrote it, then cleaned up,
both with the same credit. Of two adjacent captions with the same credit the later is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

import nh3
from flask_babel import gettext as _
from markupsafe import Markup

from forum.core.text import _markdown, excerpt, normalise_whitespace, sanitise_html


class ArticleFormatError(ValueError):
    """The text is not an article in the expected shape; the message says why, for people."""


@dataclass
class ParsedFigure:
    caption: str
    credit: str = ""
    # The figure stands after this many body paragraphs (0: before the text).
    after_paragraph: int = 0
    image_url: str | None = None


@dataclass
class ParsedReading:
    text: str
    url: str | None = None


@dataclass
class ParsedArticle:
    publication: str
    title: str
    published_on: date | None = None
    paragraphs: list[str] = field(default_factory=list)
    figures: list[ParsedFigure] = field(default_factory=list)
    readings: list[ParsedReading] = field(default_factory=list)
    author_name: str = ""
    author_bio: str = ""
    group_names: list[str] = field(default_factory=list)


MAX_TITLE = 300
MAX_PUBLICATION = 200

_DATE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%d %B %Y", "%d %b %Y", "%Y-%m-%d")
_READINGS_HEADER = re.compile(
    r"^(to read more( on this topic)?|further reading|read more)\s*:?$", re.I
)
_GROUP_LINE = re.compile(r"\bgroup$", re.I)
# "... (AP Photo/Andy Wong)": a parenthesised credit with a slash, at the very end.
_PAREN_CREDIT = re.compile(r"^(?P<caption>.+?)\s*\((?P<credit>[^()]*\S/\S[^()]*)\)\.?$")
# "... file photo. REUTERS/Joseph Campbell/Files": capitalised words joined by slashes.
_WORDS = r"[A-Z][\w&.'-]*(?: [A-Z&][\w&.'-]*)*"
_TRAILING_CREDIT = re.compile(rf"^(?P<caption>.+?[.!?])\s+(?P<credit>{_WORDS}(?:/{_WORDS})+)$")
# "... a caption. Photo: Name" and its kin.
_LABELLED_CREDIT = re.compile(
    r"^(?P<caption>.+?[.!?])\s+(?:Photo(?: credit)?|Credit|Image|Picture):\s*(?P<credit>[^.]+)\.?$"
)
_URL = re.compile(r"(?P<url>https?://[^\s<>\"]+)$")
_NAME_PARTICLES = {"de", "da", "del", "der", "van", "von", "bin", "al", "la", "le", "du", "y"}


def decode_article_bytes(data: bytes) -> str:
    """The text of a file: UTF-8 (with or without a byte order mark), nothing binary."""
    if not data.strip():
        raise ArticleFormatError("the file is empty")
    if b"\x00" in data:
        raise ArticleFormatError("the file is binary, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ArticleFormatError(
            f"the file is not valid UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start})"
        ) from None


def blocks_of(text: str) -> list[str]:
    """Paragraphs: runs of non-blank lines, whitespace normalised, joined by single spaces."""
    blocks: list[str] = []
    current: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = normalise_whitespace(raw)
        if line:
            current.append(line)
        elif current:
            blocks.append(" ".join(current))
            current = []
    if current:
        blocks.append(" ".join(current))
    return blocks


def parse_date_line(line: str) -> date | None:
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(line, pattern).date()
        except ValueError:
            continue
    return None


def split_caption(block: str) -> ParsedFigure | None:
    """The caption and credit of a photo caption, or None if ``block`` is not one."""
    for pattern in (_PAREN_CREDIT, _LABELLED_CREDIT, _TRAILING_CREDIT):
        match = pattern.match(block)
        if match and match["caption"].strip():
            return ParsedFigure(caption=match["caption"].strip(), credit=match["credit"].strip())
    return None


def _same_credit(one: str, other: str) -> bool:
    def key(credit: str) -> str:
        return re.sub(r"\W+", "", credit).casefold()

    return bool(key(one)) and key(one) == key(other)


def _same_text(one: str, other: str) -> bool:
    return one.casefold().strip(" .") == other.casefold().strip(" .")


def _is_name(block: str) -> bool:
    words = block.split()
    if not 1 <= len(words) <= 6 or len(block) > 80 or block[-1] in ".!?:;,":
        return False
    if any(ch.isdigit() for ch in block):
        return False
    return all(word[0].isupper() or word in _NAME_PARTICLES for word in words)


def _mentions(paragraph: str, name: str) -> bool:
    return any(part in paragraph for part in name.split() if part not in _NAME_PARTICLES)


def _find_author(blocks: list[str], start: int, end: int) -> int | None:
    """Index of the author's name: a name-like line followed by a bio that mentions them."""
    for index in range(end - 1, max(start, end - 6) - 1, -1):
        block = blocks[index]
        if _is_name(block):
            bio = blocks[index + 1 : end]
            if not bio or _mentions(bio[0], block):
                return index
    return None


def parse_article_text(text: str) -> ParsedArticle:
    blocks = blocks_of(text)
    if not blocks:
        raise ArticleFormatError("the file is empty")
    publication = blocks[0]
    if len(publication) > MAX_PUBLICATION:
        raise ArticleFormatError("the first line should name the publication, but it is too long")
    position = 1
    published_on = parse_date_line(blocks[1]) if len(blocks) > 1 else None
    if published_on is not None:
        position += 1
    if position >= len(blocks):
        raise ArticleFormatError("no title: expected the title after the publication line")
    title = blocks[position]
    if len(title) > MAX_TITLE:
        raise ArticleFormatError(
            f"no title: the line after the publication has {len(title)} characters "
            f"(at most {MAX_TITLE})"
        )
    article = ParsedArticle(publication=publication, title=title, published_on=published_on)
    start = position + 1

    end = len(blocks)
    last = blocks[-1]
    if end > start and _GROUP_LINE.search(last) and len(last.split()) <= 10 and last[-1] != ".":
        article.group_names.append(last)
        end -= 1

    header = next((i for i in range(start, end) if _READINGS_HEADER.match(blocks[i])), None)
    author = _find_author(blocks, header + 1 if header is not None else start, end)
    if author is not None:
        article.author_name = blocks[author]
        article.author_bio = "\n\n".join(blocks[author + 1 : end])
    body_end = header if header is not None else (author if author is not None else end)
    if header is not None:
        readings_end = author if author is not None else end
        article.readings = [_reading(block) for block in blocks[header + 1 : readings_end]]

    previous_was_caption = False
    for block in blocks[start:body_end]:
        figure = split_caption(block)
        if figure is not None:
            figure.after_paragraph = len(article.paragraphs)
            if previous_was_caption and _same_credit(article.figures[-1].credit, figure.credit):
                article.figures[-1] = figure
            else:
                article.figures.append(figure)
            previous_was_caption = True
            continue
        previous_was_caption = False
        if _same_text(block, title):
            continue
        article.paragraphs.append(block)
    return article


def _reading(line: str) -> ParsedReading:
    match = _URL.search(line)
    if match is None:
        return ParsedReading(text=line)
    text = line[: match.start()].rstrip(" |-–—")
    return ParsedReading(text=text or match["url"], url=match["url"])


# Markdown --------------------------------------------------------------------------------

_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]<>~])")
_ENTITY = re.compile(r"&(?=#?\w+;)")
_BLOCK_START = re.compile(r"^(\d+)([.)])(?=\s|$)|^([#>+=-])")


def escape_markdown(paragraph: str) -> str:
    """Plain text as markdown that renders back to the same text, escaping only what would
    otherwise mean something, so the text stays readable in the editor."""
    escaped = _ENTITY.sub(r"\\&", _MARKDOWN_INLINE.sub(r"\\\1", paragraph))
    return _BLOCK_START.sub(
        lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}",
        escaped,
        count=1,
    )


def plain_markdown(paragraphs: list[str]) -> str:
    return "\n\n".join(escape_markdown(paragraph) for paragraph in paragraphs)


def _blocks_html(body_md: str) -> list[str]:
    """The sanitised HTML of each top-level block of the markdown (paragraph, list, ...)."""
    parser = _markdown()
    env: dict = {}
    tokens = parser.parse(body_md, env)
    chunks: list[str] = []
    start = 0
    for index, token in enumerate(tokens):
        if token.level == 0 and token.nesting <= 0:
            html = parser.renderer.render(tokens[start : index + 1], parser.options, env)
            chunks.append(sanitise_html(html).strip())
            start = index + 1
    return chunks


def figure_html(figure) -> Markup:
    image = Markup("")
    if figure.image_url:
        image = Markup('<img src="{}" alt="{}">').format(figure.image_url, figure.caption)
    credit = Markup("")
    if figure.credit:
        credit = Markup(' <small class="credit">{}</small>').format(figure.credit)
    return Markup("<figure>{}<figcaption>{}{}</figcaption></figure>").format(
        image, figure.caption, credit
    )


def render_body(body_md: str, figures: list) -> str:
    """The body's HTML with each figure after its paragraph (figures beyond the end go last)."""
    chunks = _blocks_html(body_md)
    placed: dict[int, list] = {}
    for figure in figures:
        placed.setdefault(min(max(figure.after_paragraph, 0), len(chunks)), []).append(figure)
    parts: list[str] = []
    for index in range(len(chunks) + 1):
        parts.extend(str(figure_html(figure)) for figure in placed.get(index, []))
        if index < len(chunks):
            parts.append(chunks[index])
    return "\n".join(parts)


def summary_of(body_md: str, length: int = 280) -> str:
    """Plain text of the first paragraph, shortened: for lists and feeds."""
    for chunk in _blocks_html(body_md):
        text = nh3.clean(chunk, tags=set())
        # Markup is only the unescaper here: the result is plain text (a str) that templates
        # escape again, hence the nosec.
        text = Markup(text).unescape().strip()  # nosec B704
        if text:
            return excerpt(text, length)
    return ""


# The editor's line formats -----------------------------------------------------------------


def figures_from_lines(text: str) -> list[ParsedFigure]:
    """Figures written one per line as ``caption | credit`` or ``caption | credit | N``
    (N: the paragraph it follows)."""
    figures: list[ParsedFigure] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = normalise_whitespace(line)
        if not line:
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) > 3 or not parts[0]:
            raise ArticleFormatError(
                _(
                    "Line %(number)s: write each figure as “caption | credit” "
                    "or “caption | credit | paragraph number”.",
                    number=number,
                )
            )
        after = len(figures) and figures[-1].after_paragraph
        if len(parts) == 3 and parts[2]:
            if not parts[2].isdigit():
                raise ArticleFormatError(
                    _(
                        "Line %(number)s: the paragraph number must be a whole number, "
                        "not “%(value)s”.",
                        number=number,
                        value=parts[2],
                    )
                )
            after = int(parts[2])
        figures.append(
            ParsedFigure(
                caption=parts[0],
                credit=parts[1] if len(parts) > 1 else "",
                after_paragraph=after,
            )
        )
    return figures


def figures_to_lines(figures: list) -> str:
    return "\n".join(
        f"{figure.caption} | {figure.credit} | {figure.after_paragraph}" for figure in figures
    )


def readings_from_lines(text: str) -> list[ParsedReading]:
    """Further reading, one entry per line, optionally ending with its http(s) address."""
    readings = []
    for line in text.splitlines():
        line = normalise_whitespace(line)
        if line:
            readings.append(_reading(line))
    return readings


def readings_to_lines(readings: list) -> str:
    return "\n".join(
        f"{reading.text} {reading.url}" if reading.url else reading.text for reading in readings
    )


def noon_utc(day: date) -> datetime:
    """A date without a time, stored at noon UTC so it shows as the same day in most zones."""
    return datetime.combine(day, time(12, 0), tzinfo=UTC)
