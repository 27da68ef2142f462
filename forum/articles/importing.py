"""Importing articles in batches: text files in the seed's shape, RSS 2.0 and Atom feeds
(files or URLs), and WordPress export (WXR) files with their approved comments.

The rule for partial failure: a source (file or URL) that cannot be read or parsed imports
nothing and is reported as failed; every problem with a source shows while it is read and
parsed, before anything is written. An item of a good source that cannot be imported (no
title, a draft, no content left once sanitised) is skipped with its reason. Everything is
written in the caller's one transaction (the command commits once at the end, the worker once
per feed), so an interrupted import leaves nothing half-imported.

Articles are matched by the feed's GUID, then by their canonical URL, then (for an article
that came from a text file or the editor and has neither) by the slug of the title; a match is
updated, or skipped when nothing changed.
"""

from __future__ import annotations

import html
import secrets
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import nh3
from flask import current_app
from sqlalchemy import select

from forum.accounts.models import User
from forum.accounts.queries import find_user_by_email
from forum.accounts.services import unique_username
from forum.articles.feedformat import (
    FeedComment,
    FeedFormatError,
    FeedItem,
    ParsedFeed,
    looks_like_xml,
    parse_feed,
)
from forum.articles.fetching import TIMEOUT_SECONDS, check_feed_url, fetch
from forum.articles.htmltext import clean_html, html_to_markdown
from forum.articles.models import Article, ImportedComment, UnclaimedAccount
from forum.articles.services import finish_saving, import_parsed, set_contents, slug_for
from forum.articles.textformat import (
    MAX_PUBLICATION,
    MAX_TITLE,
    ArticleFormatError,
    ParsedArticle,
    ParsedFigure,
    ParsedReading,
    decode_article_bytes,
    parse_article_text,
)
from forum.core.db import utc_now
from forum.core.text import normalise_whitespace, render_markdown, slugify
from forum.discussions.models import Discussion, Post, PostState
from forum.discussions.services import MAX_BODY_LENGTH, count_published, ensure_public_discussion
from forum.extensions import db
from forum.groups.models import Group

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
SUFFIXES = (".txt", ".xml", ".rss", ".atom")
MAX_GUID = 1000
UNCLAIMED_DOMAIN = "unclaimed.invalid"
# A password hash no password matches: an unclaimed account cannot log in.
NO_PASSWORD = "!unclaimed"
ANONYMOUS = "Blog reader"


def max_bytes() -> int:
    return int(current_app.config.get("IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def fetch_timeout() -> float:
    return float(current_app.config.get("IMPORT_TIMEOUT_SECONDS", TIMEOUT_SECONDS))


# The report ------------------------------------------------------------------------------------


@dataclass
class ImportEntry:
    source: str
    title: str = ""
    slug: str | None = None
    # Skipped: why; failed: what is wrong with the source.
    reason: str | None = None
    comments: int = 0

    @property
    def error(self) -> str | None:
        return self.reason


@dataclass
class ImportReport:
    created: list[ImportEntry] = field(default_factory=list)
    updated: list[ImportEntry] = field(default_factory=list)
    skipped: list[ImportEntry] = field(default_factory=list)
    failed: list[ImportEntry] = field(default_factory=list)
    comments_created: int = 0
    # Comments left out, by reason ("already imported", "pingback", "not approved").
    comments_skipped: Counter = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return not self.failed

    def add(self, action: str, entry: ImportEntry) -> None:
        getattr(self, action).append(entry)
        self.comments_created += entry.comments

    def summary(self) -> str:
        line = (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.skipped)} skipped, {len(self.failed)} failed."
        )
        if self.comments_created or self.comments_skipped:
            skipped = ", ".join(f"{n} {why}" for why, n in sorted(self.comments_skipped.items()))
            line += f" Comments: {self.comments_created} imported"
            line += f"; skipped: {skipped}." if skipped else "."
        return line


# Reading sources -------------------------------------------------------------------------------


@dataclass
class Loaded:
    """A source read and parsed: one text article, or a feed's items."""

    source: str
    document: ParsedArticle | ParsedFeed

    @property
    def units(self) -> list[ParsedArticle | FeedItem]:
        if isinstance(self.document, ParsedFeed):
            return list(self.document.items)
        return [self.document]


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def collect_sources(sources: Iterable[str | Path]) -> list[str]:
    """URLs and files as given; directories give their text and feed files, in name order."""
    found: list[str] = []
    for source in map(str, sources):
        path = Path(source)
        if not is_url(source) and path.is_dir():
            found.extend(
                str(p) for p in sorted(path.rglob("*")) if p.is_file() and p.suffix in SUFFIXES
            )
        else:
            found.append(source)
    return found


def _read_file(path: Path, limit: int) -> bytes:
    if not path.exists():
        raise ArticleFormatError("no such file")
    if not path.is_file():
        raise ArticleFormatError("not a regular file")
    if path.stat().st_size > limit:
        raise ArticleFormatError(f"larger than {limit // (1024 * 1024)} MB")
    try:
        return path.read_bytes()
    except OSError as error:
        raise ArticleFormatError(f"cannot be read ({error.strerror})") from None


def parse_document(data: bytes) -> ParsedArticle | ParsedFeed:
    """XML is a feed or a WordPress export; anything else is text in the seed's shape."""
    if looks_like_xml(data):
        return parse_feed(data)
    return parse_article_text(decode_article_bytes(data))


def load_source(source: str) -> Loaded:
    """Read and parse one file or URL; ArticleFormatError or FeedFormatError say why not."""
    limit = max_bytes()
    if is_url(source):
        data = fetch(check_feed_url(source), limit, timeout=fetch_timeout()).body
    else:
        data = _read_file(Path(source), limit)
    return Loaded(source, parse_document(data))


# Writing ---------------------------------------------------------------------------------------


def _plain(text: str, limit: int) -> str:
    """A title or name from a feed: markup and entities gone, whitespace tidied, shortened."""
    text = normalise_whitespace(html.unescape(nh3.clean(text, tags=set())))
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _find(column, value: str) -> Article | None:
    return db.session.scalar(select(Article).where(column == value).limit(1))


def _match(guid: str, link: str | None, title: str) -> Article | None:
    article = _find(Article.guid, guid)
    if article is None and link:
        article = _find(Article.source_url, link)
    if article is None:
        article = _find(Article.slug, slug_for(title))
        if article is not None and (article.guid or article.source_url):
            article = None  # another feed's article that happens to share the title
    return article


def _free_slug(title: str) -> str:
    base = slug_for(title)
    slug, number = base, 1
    while _find(Article.slug, slug) is not None:
        number += 1
        slug = f"{base}-{number}"
    return slug


def _existing_group_names(categories: list[str]) -> list[str]:
    """The categories and tags that name a group that exists: the groups that discuss it."""
    slugs = {slugify(_plain(category, 200)) for category in categories}
    if not slugs:
        return []
    return list(db.session.scalars(select(Group.name).where(Group.slug.in_(slugs))))


def _kept_figures(article: Article) -> list[ParsedFigure]:
    return [
        ParsedFigure(f.caption, f.credit, f.after_paragraph, f.image_url) for f in article.figures
    ]


def _kept_readings(article: Article) -> list[ParsedReading]:
    return [ParsedReading(r.text, r.url) for r in article.further_reading]


def import_item(
    item: FeedItem,
    source: str,
    publication: str = "",
    now: datetime | None = None,
    skipped_comments: Counter | None = None,
) -> tuple[str, ImportEntry]:
    """Create, update or skip the article of one feed item: ("created" | "updated" |
    "skipped", entry). Its comments (WXR) are imported with it; the ones left out are
    counted by reason in ``skipped_comments``."""
    now = now or utc_now()
    skipped_comments = Counter() if skipped_comments is None else skipped_comments
    title = _plain(item.title, MAX_TITLE)
    entry = ImportEntry(source, title=title or item.guid or item.link)
    if item.skip_reason:
        if item.comments:
            skipped_comments["article skipped"] += len(item.comments)
        return "skipped", _skip(entry, item.skip_reason)
    guid = (item.guid or item.link).strip()
    if len(guid) > MAX_GUID:
        return "skipped", _skip(entry, f"its guid is longer than {MAX_GUID} characters")
    link = item.link.strip() if is_url(item.link.strip()) else None
    if link and len(link) > MAX_GUID:
        link = None
    body_md = html_to_markdown(clean_html(item.content_html))
    if not body_md.strip():
        return "skipped", _skip(entry, "no content left once unsafe markup was removed")

    groups = _existing_group_names(item.categories)
    author = _plain(item.author_name, 200)
    publication = _plain(publication, MAX_PUBLICATION)
    article = _match(guid, link, title)
    created = article is None
    if article is None:
        article = Article(
            slug=_free_slug(title),
            title=title,
            guid=guid,
            published_at=item.published_at or now,
            created_at=now,
        )
        db.session.add(article)
    changed = created or (
        article.title != title
        or article.body_md != body_md
        or (author and article.author_name != author)
        or (link and article.source_url != link)
        or article.guid != guid
        or not {slugify(name) for name in groups} <= {g.slug for g in article.groups}
    )
    if changed:
        article.guid = guid
        article.source_url = link or article.source_url
        article.title = title
        article.author_name = author or article.author_name
        article.publication = article.publication or publication
        if item.published_at is not None:
            article.published_at = item.published_at
        article.updated_at = now
        figures = [] if created else _kept_figures(article)
        readings = [] if created else _kept_readings(article)
        set_contents(article, body_md, figures, readings, groups, keep_groups=True)
        finish_saving(article, created)
    entry.slug = article.slug
    entry.comments = _import_comments(article, item, now, skipped_comments)
    if changed:
        return ("created" if created else "updated"), entry
    if entry.comments:
        return "updated", entry
    return "skipped", _skip(entry, "unchanged since the last import")


def _skip(entry: ImportEntry, reason: str) -> ImportEntry:
    entry.reason = reason
    return entry


# Comments from WordPress -----------------------------------------------------------------------


def _author_for(comment: FeedComment) -> User:
    """Who a comment is by: the unclaimed account made for its address (or its name when it
    has none) on an earlier import, the verified account that owns the address, or a new
    unclaimed account."""
    name = _plain(comment.author_name, 80) or ANONYMOUS
    email = comment.author_email.strip().lower() if "@" in comment.author_email else ""
    if email:
        found = db.session.scalar(
            select(UnclaimedAccount).where(UnclaimedAccount.email == email).limit(1)
        )
        if found is not None:
            return db.session.get(User, found.user_id)
        owner = find_user_by_email(email)
        if owner is not None and owner.is_verified:
            return owner
    else:
        found = db.session.scalar(
            select(UnclaimedAccount)
            .where(UnclaimedAccount.email == "", UnclaimedAccount.name == name)
            .limit(1)
        )
        if found is not None:
            return db.session.get(User, found.user_id)
    user = User(
        email=f"unclaimed-{secrets.token_hex(8)}@{UNCLAIMED_DOMAIN}",
        username=unique_username(name),
        display_name=name,
        password_hash=NO_PASSWORD,
    )
    db.session.add(user)
    db.session.flush()
    # The placeholder address keeps the real one free for its owner to register with.
    user.email = f"unclaimed-{user.id}@{UNCLAIMED_DOMAIN}"
    db.session.add(UnclaimedAccount(user_id=user.id, email=email, name=name))
    db.session.flush()
    return user


def _in_thread_order(comments: list[FeedComment]) -> list[FeedComment]:
    """Parents before their replies, oldest first among siblings."""
    known = {c.remote_id for c in comments}
    placed: set[str] = set()
    ordered: list[FeedComment] = []
    waiting = sorted(comments, key=lambda c: (c.published_at is None, c.published_at or 0))
    while waiting:
        ready = [
            c for c in waiting if c.parent_id not in known or c.parent_id in placed
        ] or waiting[:1]  # a cycle in a broken export: take the oldest
        for comment in ready:
            ordered.append(comment)
            placed.add(comment.remote_id)
        waiting = [c for c in waiting if c.remote_id not in placed]
    return ordered


def _import_comments(article: Article, item: FeedItem, now: datetime, report: Counter) -> int:
    """The item's approved comments as published posts of the article's public discussion,
    threaded as on the blog. A comment imported before is left alone."""
    report.update(item.skipped_comments)
    if not item.comments:
        return 0
    discussion = ensure_public_discussion(article)
    posts: dict[str, Post] = {
        row.remote_id: post
        for row, post in db.session.execute(
            select(ImportedComment, Post)
            .join(Post, Post.id == ImportedComment.post_id)
            .where(ImportedComment.article_id == article.id)
        )
    }
    created = 0
    for comment in _in_thread_order(item.comments):
        if comment.remote_id in posts:
            report["already imported"] += 1
            continue
        body_md = html_to_markdown(clean_html(comment.content))
        if not body_md.strip():
            report["empty once sanitised"] += 1
            continue
        if len(body_md) > MAX_BODY_LENGTH:
            report["too long"] += 1
            continue
        posts[comment.remote_id] = _comment_post(
            discussion, posts.get(comment.parent_id), comment, body_md, now
        )
        db.session.add(
            ImportedComment(
                post_id=posts[comment.remote_id].id,
                article_id=article.id,
                remote_id=comment.remote_id,
            )
        )
        created += 1
    db.session.flush()
    return created


def _comment_post(
    discussion: Discussion, parent: Post | None, comment: FeedComment, body_md: str, now
) -> Post:
    written_at = comment.published_at or now
    post = Post(
        discussion_id=discussion.id,
        author_id=_author_for(comment).id,
        body_md=body_md,
        body_html=render_markdown(body_md),
        state=PostState.PUBLISHED,
        created_at=written_at,
    )
    db.session.add(post)
    db.session.flush()
    post.place_under(parent)
    # No post_created signal: these were published on the blog long ago, and announcing them
    # would notify people of old news. Search indexes them by its triggers.
    count_published(post, +1, discussion, parent)
    if discussion.last_post_at is None or discussion.last_post_at < written_at:
        discussion.last_post_at = written_at
    return post


# The batch -------------------------------------------------------------------------------------


def import_loaded(
    loaded: Loaded,
    report: ImportReport,
    progress: Callable[[object], None] | None = None,
    now: datetime | None = None,
) -> None:
    """Write one parsed source's articles into the session (the caller commits)."""
    document = loaded.document
    for unit in loaded.units:
        if isinstance(unit, ParsedArticle):
            article, created = import_parsed(unit, now)
            entry = ImportEntry(loaded.source, title=article.title, slug=article.slug)
            report.add("created" if created else "updated", entry)
        else:
            action, entry = import_item(
                unit, loaded.source, document.title, now, report.comments_skipped
            )
            report.add(action, entry)
        if progress is not None:
            progress(unit)


def load_sources(sources: Iterable[str | Path]) -> tuple[list[Loaded], ImportReport]:
    """Read and parse every source, before anything is written; the report holds the ones
    that failed."""
    report = ImportReport()
    loaded: list[Loaded] = []
    for source in collect_sources(sources):
        try:
            loaded.append(load_source(source))
        except (ArticleFormatError, FeedFormatError) as error:
            report.failed.append(ImportEntry(source, reason=str(error)))
    return loaded, report


def import_sources(
    sources: Iterable[str | Path],
    progress: Callable[[object], None] | None = None,
    now: datetime | None = None,
) -> ImportReport:
    """Import every source. A bad source is reported and changes nothing; the good ones
    still import. ``progress`` hears of each article imported."""
    loaded, report = load_sources(sources)
    for one in loaded:
        import_loaded(one, report, progress, now)
    return report
