"""Feeds as data: RSS 2.0, Atom and WordPress export (WXR) files read into plain values.

Nothing here touches the database. The XML is parsed by defusedxml, which refuses entity
declarations (the "billion laughs" expansion and external entities that read files or URLs)
before expanding anything; a document that declares one is refused as a whole, not cleaned.
Content stays HTML here; the importer sanitises it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html import escape
from xml.etree.ElementTree import Element, ParseError, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
DC = "{http://purl.org/dc/elements/1.1/}"
# WXR's own namespace carries its version in the URI (1.0, 1.1, 1.2 are all in use).
_WP_NAMESPACE = re.compile(r"^\{http://wordpress\.org/export/[0-9.]+/\}")
_ENCODING_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)[\"']")
MAX_ITEMS = 5000


class FeedFormatError(ValueError):
    """The document is not a feed this site reads; the message says why, for people."""


@dataclass
class FeedComment:
    """An approved blog comment (WXR only)."""

    remote_id: str
    parent_id: str
    author_name: str
    author_email: str
    published_at: datetime | None
    content: str


@dataclass
class FeedItem:
    guid: str
    link: str
    title: str
    content_html: str
    author_name: str = ""
    published_at: datetime | None = None
    updated_at: datetime | None = None
    categories: list[str] = field(default_factory=list)
    comments: list[FeedComment] = field(default_factory=list)
    # Why the item cannot be imported (no title, a draft, ...); None when it can.
    skip_reason: str | None = None
    # Comments left out, with why ("pingback", "not approved"): counted in the report.
    skipped_comments: list[str] = field(default_factory=list)


@dataclass
class ParsedFeed:
    kind: str  # "rss", "atom" or "wxr"
    title: str
    items: list[FeedItem]


def looks_like_xml(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<"


def _check_encoding(data: bytes) -> None:
    """Refuse bytes that are not in the encoding the document declares, with where."""
    declared = _ENCODING_DECLARATION.match(data)
    encoding = declared.group(1).decode("ascii") if declared else "utf-8"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return  # UTF-16 with a byte order mark: the parser reads it
    try:
        data.decode(encoding)
    except LookupError:
        raise FeedFormatError(f"the document declares an unknown encoding “{encoding}”") from None
    except UnicodeDecodeError as error:
        claim = "as it declares" if declared else "(no other encoding is declared)"
        raise FeedFormatError(
            f"the document is not valid {encoding} {claim} "
            f"(byte 0x{data[error.start]:02x} at offset {error.start})"
        ) from None


def parse_xml(data: bytes) -> Element:
    if not data.strip():
        raise FeedFormatError("the document is empty")
    _check_encoding(data)
    try:
        return fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise FeedFormatError(
            "refused: the document declares XML entities, which feeds never need and "
            "entity-expansion attacks use"
        ) from None
    except ParseError as error:
        line, column = error.position
        message = str(error).split(":")[0]
        raise FeedFormatError(f"malformed XML at line {line}, column {column}: {message}") from None


def parse_feed(data: bytes) -> ParsedFeed:
    """The feed in ``data``; FeedFormatError when it is not RSS 2.0, Atom or WXR."""
    root = parse_xml(data)
    if root.tag == f"{ATOM}feed":
        feed = _atom(root)
    elif root.tag == "rss":
        channel = root.find("channel")
        if channel is None:
            raise FeedFormatError("an RSS document without a <channel>")
        is_wxr = any(_WP_NAMESPACE.match(child.tag) for child in channel)
        feed = _wxr(channel) if is_wxr else _rss(channel)
    else:
        name = re.sub(r"^\{.*\}", "", root.tag)
        raise FeedFormatError(f"not an RSS 2.0, Atom or WordPress export document (<{name}>)")
    if len(feed.items) > MAX_ITEMS:
        raise FeedFormatError(f"more than {MAX_ITEMS} items; split the export")
    return feed


# Values ---------------------------------------------------------------------------------------


def _text(element: Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def _child(element: Element, suffix: str) -> Element | None:
    """The first child whose tag ends with ``suffix`` (for WXR's versioned namespace)."""
    for child in element:
        if child.tag.endswith(suffix):
            return child
    return None


def _children(element: Element, suffix: str) -> list[Element]:
    return [child for child in element if child.tag.endswith(suffix)]


def _rfc822(value: str) -> datetime | None:
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _wordpress_gmt(value: str) -> datetime | None:
    # "0000-00-00 00:00:00" is WordPress for "never" (drafts).
    if not value or value.startswith("0000"):
        return None
    return _iso(value.replace(" ", "T"))


def _needs(item: FeedItem) -> FeedItem:
    if not item.title:
        item.skip_reason = item.skip_reason or "no title"
    elif not (item.guid or item.link):
        item.skip_reason = item.skip_reason or "neither a guid nor a link to tell it by"
    elif not item.content_html.strip():
        item.skip_reason = item.skip_reason or "no content"
    return item


# RSS 2.0 --------------------------------------------------------------------------------------


def _rss_item(element: Element) -> FeedItem:
    content = _child(element, f"{CONTENT}encoded")
    body = _text(content) if content is not None else _text(element.find("description"))
    author = _text(element.find(f"{DC}creator")) or _text(element.find("author"))
    return _needs(
        FeedItem(
            guid=_text(element.find("guid")),
            link=_text(element.find("link")),
            title=_text(element.find("title")),
            content_html=body,
            author_name=author,
            published_at=_rfc822(_text(element.find("pubDate"))),
            categories=[_text(c) for c in element.findall("category") if _text(c)],
        )
    )


def _rss(channel: Element) -> ParsedFeed:
    items = [_rss_item(element) for element in channel.findall("item")]
    return ParsedFeed("rss", _text(channel.find("title")), items)


# Atom -----------------------------------------------------------------------------------------


def _atom_link(entry: Element) -> str:
    for link in entry.findall(f"{ATOM}link"):
        if link.get("rel", "alternate") == "alternate":
            return (link.get("href") or "").strip()
    return ""


def _atom_text(element: Element | None) -> str:
    """Atom text constructs as HTML: type="text" is escaped, "html" is HTML already, and
    "xhtml" is markup whose elements are written back out."""
    if element is None:
        return ""
    kind = element.get("type", "text")
    if kind == "html":
        return _text(element)
    if kind == "xhtml":
        for descendant in element.iter():
            descendant.tag = descendant.tag.rpartition("}")[2]  # plain HTML names, no xmlns
        return "".join(tostring(child, encoding="unicode") for child in element).strip()
    return escape(_text(element))


def _atom_entry(entry: Element) -> FeedItem:
    content = entry.find(f"{ATOM}content")
    body = _atom_text(content) if content is not None else _atom_text(entry.find(f"{ATOM}summary"))
    author = entry.find(f"{ATOM}author")
    return _needs(
        FeedItem(
            guid=_text(entry.find(f"{ATOM}id")),
            link=_atom_link(entry),
            title=_text(entry.find(f"{ATOM}title")),
            content_html=body,
            author_name=_text(author.find(f"{ATOM}name")) if author is not None else "",
            published_at=_iso(_text(entry.find(f"{ATOM}published"))),
            updated_at=_iso(_text(entry.find(f"{ATOM}updated"))),
            categories=[
                c.get("label") or c.get("term") or ""
                for c in entry.findall(f"{ATOM}category")
                if c.get("label") or c.get("term")
            ],
        )
    )


def _atom(root: Element) -> ParsedFeed:
    items = [_atom_entry(entry) for entry in root.findall(f"{ATOM}entry")]
    return ParsedFeed("atom", _text(root.find(f"{ATOM}title")), items)


# WordPress export (WXR) -----------------------------------------------------------------------


def _wp(element: Element, name: str) -> str:
    return _text(_child(element, f"}}{name}"))


def _wxr_comments(element: Element, item: FeedItem) -> None:
    for comment in _children(element, "}comment"):
        kind = _wp(comment, "comment_type")
        if kind in ("pingback", "trackback"):
            item.skipped_comments.append(kind)
            continue
        if _wp(comment, "comment_approved") != "1":
            item.skipped_comments.append("not approved")
            continue
        content = _wp(comment, "comment_content")
        if not content:
            item.skipped_comments.append("empty")
            continue
        item.comments.append(
            FeedComment(
                remote_id=_wp(comment, "comment_id"),
                parent_id=_wp(comment, "comment_parent"),
                author_name=_wp(comment, "comment_author"),
                author_email=_wp(comment, "comment_author_email").lower(),
                published_at=_wordpress_gmt(_wp(comment, "comment_date_gmt")),
                content=content,
            )
        )


def _wxr_item(element: Element) -> FeedItem | None:
    """A post of the export; None for what is not an article (pages, attachments, menus)."""
    if _wp(element, "post_type") not in ("post", ""):
        return None
    content = _child(element, f"{CONTENT}encoded")
    item = FeedItem(
        guid=_text(element.find("guid")),
        link=_text(element.find("link")),
        title=_text(element.find("title")),
        content_html=_text(content),
        author_name=_text(element.find(f"{DC}creator")),
        published_at=_wordpress_gmt(_wp(element, "post_date_gmt"))
        or _rfc822(_text(element.find("pubDate"))),
        categories=[_text(c) for c in element.findall("category") if _text(c)],
    )
    status = _wp(element, "status")
    if status and status != "publish":
        item.skip_reason = f"not published (status “{status}”)"
    _wxr_comments(element, item)
    return _needs(item)


def _wxr(channel: Element) -> ParsedFeed:
    items = [item for item in map(_wxr_item, channel.findall("item")) if item is not None]
    return ParsedFeed("wxr", _text(channel.find("title")), items)
