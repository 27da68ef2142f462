"""The rules of articles: importing one in the seed's text shape, writing them in the browser.
Batches, feeds and WordPress exports are in importing.py.

Every article has its public discussion from the moment it exists. Services flush; the
caller (request, command) commits once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select

from forum.accounts.models import User
from forum.articles import permissions
from forum.articles.models import Article, Figure, Reading
from forum.articles.textformat import (
    MAX_PUBLICATION,
    MAX_TITLE,
    ArticleFormatError,
    ParsedArticle,
    ParsedFigure,
    ParsedReading,
    figures_from_lines,
    figures_to_lines,
    noon_utc,
    parse_article_text,
    plain_markdown,
    readings_from_lines,
    readings_to_lines,
    render_body,
    summary_of,
)
from forum.core.db import utc_now
from forum.core.errors import ValidationFailed
from forum.core.signals import article_saved
from forum.core.text import normalise_whitespace, slugify
from forum.discussions.services import ensure_public_discussion
from forum.extensions import db
from forum.groups.services import ensure_group
from forum.moderation.log import record
from forum.moderation.models import Action

SLUG_LENGTH = 80
# Paths under /articles/ that are pages, not articles.
RESERVED_SLUGS = {"new"}


def slug_for(title: str) -> str:
    slug = slugify(title, SLUG_LENGTH)
    return f"{slug}-article" if slug in RESERVED_SLUGS else slug


def _find_by_slug(slug: str) -> Article | None:
    return db.session.scalar(select(Article).where(Article.slug == slug))


def set_contents(
    article: Article,
    body_md: str,
    figures: list[ParsedFigure],
    readings: list[ParsedReading],
    group_names: Iterable[str],
    keep_groups: bool,
) -> None:
    """Body, figures, further reading and groups, with the HTML rendered once, here."""
    article.body_md = body_md
    article.figures = [
        Figure(
            position=index,
            after_paragraph=figure.after_paragraph,
            caption=figure.caption,
            credit=figure.credit,
            image_url=figure.image_url,
        )
        for index, figure in enumerate(figures)
    ]
    article.further_reading = [
        Reading(position=index, text=reading.text, url=reading.url)
        for index, reading in enumerate(readings)
    ]
    article.body_html = render_body(body_md, article.figures)
    article.summary = summary_of(body_md)
    groups = list(article.groups) if keep_groups else []
    for name in group_names:
        group = ensure_group(name)
        if group not in groups:
            groups.append(group)
    article.groups = groups


def finish_saving(article: Article, created: bool) -> Article:
    db.session.flush()
    ensure_public_discussion(article)
    article_saved.send(article, created=created)
    return article


# Import ------------------------------------------------------------------------------------


def import_parsed(parsed: ParsedArticle, now: datetime | None = None) -> tuple[Article, bool]:
    """Create the article, or update the one with the same slug; return it and whether it
    is new. An explicit date in the text wins; without one the first import's time stays."""
    now = now or utc_now()
    slug = slug_for(parsed.title)
    article = _find_by_slug(slug)
    created = article is None
    if article is None:
        article = Article(slug=slug, published_at=now, created_at=now)
        db.session.add(article)
    if parsed.published_on is not None:
        article.published_at = noon_utc(parsed.published_on)
    article.title = parsed.title
    article.publication = parsed.publication
    article.author_name = parsed.author_name
    article.author_bio = parsed.author_bio
    article.updated_at = now
    set_contents(
        article,
        plain_markdown(parsed.paragraphs),
        parsed.figures,
        parsed.readings,
        parsed.group_names,
        keep_groups=True,
    )
    return finish_saving(article, created), created


def import_article_text(
    text: str, source_name: str, now: datetime | None = None
) -> tuple[Article, bool]:
    """Import one article in the seed's plain-text shape. Raises ArticleFormatError (its
    message names ``source_name``) when the text is not such an article."""
    try:
        parsed = parse_article_text(text)
    except ArticleFormatError as error:
        raise ArticleFormatError(f"{source_name}: {error}") from None
    return import_parsed(parsed, now)


# Writing in the browser ----------------------------------------------------------------------


@dataclass
class ArticleInput:
    """What the editor submits; figures and readings as the form's lines."""

    title: str
    body_md: str
    publication: str = ""
    author_name: str = ""
    author_bio: str = ""
    published_on: date | None = None
    figure_lines: str = ""
    reading_lines: str = ""
    group_lines: str = ""
    is_hidden: bool = False


def _checked(values: ArticleInput) -> tuple[list[ParsedFigure], list[ParsedReading], list[str]]:
    title = normalise_whitespace(values.title)
    if not title:
        raise ValidationFailed("title", _("Give the article a title."))
    if len(title) > MAX_TITLE:
        raise ValidationFailed(
            "title", _("Keep the title under %(limit)s characters.", limit=MAX_TITLE)
        )
    if len(values.publication) > MAX_PUBLICATION:
        raise ValidationFailed(
            "publication",
            _("Keep the publication under %(limit)s characters.", limit=MAX_PUBLICATION),
        )
    if not values.body_md.strip():
        raise ValidationFailed("body_md", _("Write the article's text."))
    try:
        figures = figures_from_lines(values.figure_lines)
    except ArticleFormatError as error:
        raise ValidationFailed("figure_lines", str(error)) from None
    readings = readings_from_lines(values.reading_lines)
    groups = [normalise_whitespace(line) for line in values.group_lines.splitlines()]
    return figures, readings, [name for name in groups if name]


# What the audit log names each field of the editor by (stored text: English, like the log).
AUDITED_FIELDS = {
    "title": "title",
    "publication": "publication",
    "author_name": "author's name",
    "author_bio": "about the author",
    "published_on": "published on",
    "is_hidden": "hidden from readers",
    "figures": "photo captions",
    "readings": "further reading",
    "groups": "discussion groups",
    "body_md": "text",
}


def _audited(article: Article) -> dict[str, str]:
    """The article's fields as the editor shows them, to compare before and after a save."""
    return {
        "title": article.title,
        "publication": article.publication,
        "author_name": article.author_name,
        "author_bio": article.author_bio,
        "published_on": article.published_at.date().isoformat(),
        "is_hidden": "yes" if article.is_hidden else "no",
        "figures": figures_to_lines(article.figures),
        "readings": readings_to_lines(article.further_reading),
        # By name, as an article reads them back: a save keeps the order the lines were typed in.
        "groups": "\n".join(sorted(group.name for group in article.groups)),
        "body_md": article.body_md,
    }


def _record_edit(
    actor: User, article: Article, before: dict[str, str] | None, now: datetime
) -> None:
    """One row of the audit log for a save that changed something: the reason lists each
    changed field with its old and new value; the text's two versions go in before/after."""
    after = _audited(article)
    if before is None:
        record(actor, Action.ADMIN, now, subject=f"Wrote the article “{article.title}”")
        return
    changed = [name for name in AUDITED_FIELDS if before[name] != after[name]]
    if not changed:
        return
    lines = [
        f"{AUDITED_FIELDS[name]}: “{before[name]}” → “{after[name]}”"
        for name in changed
        if name != "body_md"
    ]
    text_changed = "body_md" in changed
    if text_changed:
        lines.append("text changed")
    record(
        actor,
        Action.ADMIN,
        now,
        subject=f"Edited the article “{article.title}”",
        reason="\n".join(lines),
        before=before["body_md"] if text_changed else None,
        after=after["body_md"] if text_changed else None,
    )


def save_article(
    actor: User, article: Article | None, values: ArticleInput, now: datetime | None = None
) -> Article:
    """Create an article (``article`` None) or change one, and write it in the audit log. The
    slug is made from the first title and kept, so links stay valid when the title is edited."""
    permissions.require_edit_articles(actor)
    now = now or utc_now()
    figures, readings, group_names = _checked(values)
    title = normalise_whitespace(values.title)
    created = article is None
    before = None if created else _audited(article)
    if article is None:
        slug = slug_for(title)
        if _find_by_slug(slug) is not None:
            raise ValidationFailed(
                "title", _("An article with this title already exists; choose another title.")
            )
        article = Article(slug=slug, published_at=now, created_at=now)
        db.session.add(article)
    if values.published_on is not None and (
        created or values.published_on != article.published_at.date()
    ):
        article.published_at = noon_utc(values.published_on)
    article.title = title
    article.publication = normalise_whitespace(values.publication)
    article.author_name = normalise_whitespace(values.author_name)
    article.author_bio = values.author_bio.strip()
    article.is_hidden = values.is_hidden
    article.updated_at = now
    set_contents(article, values.body_md.strip(), figures, readings, group_names, keep_groups=False)
    saved = finish_saving(article, created)
    _record_edit(actor, saved, before, now)
    return saved
