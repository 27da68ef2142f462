"""Reads of articles, with visibility applied: hidden articles exist only for admins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Row, Select, and_, bindparam, func, literal_column, null, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from forum.accounts.permissions import is_admin, is_signed_in
from forum.articles.models import Article, Feed, Reading, article_groups
from forum.articles.permissions import can_edit_articles
from forum.core.errors import NotVisible
from forum.core.pagination import Page, paginate
from forum.discussions.models import Discussion, Post, PostState
from forum.extensions import db
from forum.groups import queries as group_queries
from forum.groups.models import Group, GroupSession

FEED_SIZE = 20
FEEDS_PER_PAGE = 50


def _visible_to(viewer, statement: Select) -> Select:
    if can_edit_articles(viewer):
        return statement
    return statement.where(Article.is_hidden.is_(False))


def _newest_first(statement: Select) -> Select:
    return statement.order_by(Article.published_at.desc(), Article.id.desc())


def _with_comment_counts() -> Select:
    """Articles with their public discussion's comment count, in one query."""
    public = and_(Discussion.article_id == Article.id, Discussion.group_id.is_(None))
    count = func.coalesce(Discussion.post_count, 0).label("comment_count")
    return select(Article, count).outerjoin(Discussion, public)


def article_page(viewer, number: int) -> Page:
    """One page of the article list, newest first: rows of (article, comment count)."""
    statement = _newest_first(_visible_to(viewer, _with_comment_counts()))
    return paginate(statement, number, current_app.config["ARTICLES_PER_PAGE"], scalars=False)


def latest_articles(viewer, limit: int = 5) -> list:
    """The newest articles with their comment counts, for the home page."""
    statement = _newest_first(_visible_to(viewer, _with_comment_counts())).limit(limit)
    return list(db.session.execute(statement))


def get_article_for(viewer, slug: str) -> Article:
    """The article at ``slug``; 404 if the viewer may not see it. Its figures, reading and
    groups are read when first asked for (one statement each): most callers (the embed, the
    feeds, the search filter) never ask."""
    article = db.session.scalar(_visible_to(viewer, select(Article)).where(Article.slug == slug))
    if article is None:
        raise NotVisible(_("There is no such article."))
    return article


class GroupLink(NamedTuple):
    name: str
    slug: str


@dataclass
class ArticlePage:
    """What the article page shows around its thread."""

    article: Article
    # The article's public discussion, and the groups' discussions of it the viewer may see,
    # busiest first.
    discussion: Discussion
    group_discussions: list[Discussion]
    # "To read more on this topic" (rows of text, url) and the groups that discuss the article,
    # as plain rows: the page only shows them.
    readings: list[Row]
    groups: list[GroupLink]


_ARTICLE_ID = bindparam("article_id")
READING, GROUP = 0, 1
_READINGS_AND_GROUPS: dict[tuple[bool, bool], Select] = {}


def _readings_and_groups_statement(viewer) -> Select:
    """The further reading and the article's groups the viewer may know about (a members-only
    group does not exist for others), in one statement: (kind, position, text, url) with a
    group's name as its text and its slug as its url. Built once per kind of viewer, as
    ``_article_page_statement``."""
    kind = (is_admin(viewer), is_signed_in(viewer))
    statement = _READINGS_AND_GROUPS.get(kind)
    if statement is None:
        statement = _READINGS_AND_GROUPS[kind] = (
            select(
                literal_column(str(READING)).label("kind"),
                Reading.position,
                Reading.text,
                Reading.url,
            )
            .where(Reading.article_id == _ARTICLE_ID)
            .union_all(
                select(literal_column(str(GROUP)), null(), Group.name, Group.slug)
                .join(article_groups, article_groups.c.group_id == Group.id)
                .where(
                    article_groups.c.article_id == _ARTICLE_ID,
                    group_queries.groups_seen_by(viewer, bindparam("viewer_id")),
                )
            )
            .order_by("kind", "position", "text")
        )
    return statement


_ARTICLE_PAGE_STATEMENTS: dict[tuple[bool, bool, bool], Select] = {}


def _article_page_statement(viewer) -> Select:
    """The article at :slug with the discussions of it the viewer may see, each with its
    group. What a viewer may see decides the statement's shape and their id is a parameter,
    so it is built once per kind of viewer: building it cost more than running it."""
    kind = (can_edit_articles(viewer), is_admin(viewer), is_signed_in(viewer))
    statement = _ARTICLE_PAGE_STATEMENTS.get(kind)
    if statement is None:
        statement = _ARTICLE_PAGE_STATEMENTS[kind] = (
            _visible_to(
                viewer,
                select(Discussion)
                .join(Article, Article.id == Discussion.article_id)
                .outerjoin(Group, Group.id == Discussion.group_id),
            )
            .where(
                Article.slug == bindparam("slug"),
                group_queries.article_discussions_seen_by(viewer, bindparam("viewer_id")),
            )
            .options(
                contains_eager(Discussion.article).defer(Article.body_md),
                contains_eager(Discussion.group),
            )
            .order_by(Discussion.post_count.desc(), func.lower(Group.name))
        )
    return statement


def get_article_page(viewer, slug: str) -> ArticlePage:
    """The article at ``slug`` with its discussions, further reading and groups, in two
    statements whatever their number (the page's budget is twelve, and the thread needs most);
    404 if the viewer may not see the article.

    The first reads the article with its discussions the viewer may see (each with its group),
    the second the reading and the groups as plain rows. The article's markdown and figures are
    not read: the page shows the HTML, which has the figures in place."""
    discussions = db.session.scalars(
        _article_page_statement(viewer), {"slug": slug, "viewer_id": getattr(viewer, "id", None)}
    ).all()
    public = next((d for d in discussions if d.group_id is None), None)
    if public is None:
        # Rare: say which of the two is missing, as get_article_for and article_discussions do.
        if db.session.scalar(_visible_to(viewer, select(Article.id)).where(Article.slug == slug)):
            raise NotVisible(_("This article has no discussion."))
        raise NotVisible(_("There is no such article."))
    rows = db.session.execute(
        _readings_and_groups_statement(viewer),
        {"article_id": public.article_id, "viewer_id": getattr(viewer, "id", None)},
    ).all()
    return ArticlePage(
        article=public.article,
        discussion=public,
        group_discussions=[d for d in discussions if d.group_id is not None],
        readings=[row for row in rows if row.kind == READING],
        groups=[GroupLink(row.text, row.url) for row in rows if row.kind == GROUP],
    )


def feed_articles(limit: int = FEED_SIZE) -> list[Article]:
    """The newest public articles, for the Atom feed."""
    return list(db.session.scalars(_newest_first(_visible_to(None, select(Article))).limit(limit)))


# Atom feeds of discussions and groups --------------------------------------------------------


def _post_feed(condition, limit: int) -> list[Post]:
    return list(
        db.session.scalars(
            select(Post)
            .join(Discussion, Discussion.id == Post.discussion_id)
            .outerjoin(Article, Article.id == Discussion.article_id)
            .where(
                condition,
                Post.state == PostState.PUBLISHED,
                or_(Article.id.is_(None), Article.is_hidden.is_(False)),
            )
            .options(
                joinedload(Post.author),
                joinedload(Post.discussion).joinedload(Discussion.article),
                joinedload(Post.discussion).joinedload(Discussion.session),
            )
            .order_by(Post.created_at.desc(), Post.id.desc())
            .limit(limit)
        )
    )


def discussion_feed_posts(discussion: Discussion, limit: int = FEED_SIZE) -> list[Post]:
    """The newest published posts of a discussion (the caller has checked it is visible)."""
    return _post_feed(Post.discussion_id == discussion.id, limit)


def group_feed_posts(group: Group, limit: int = FEED_SIZE) -> list[Post]:
    """The newest published posts of a group's own discussions: of articles and of sessions."""
    return _post_feed(Discussion.group_id == group.id, limit)


def last_post_change(condition) -> datetime | None:
    """When a post under ``condition`` last changed in a way a feed shows: written, edited,
    deleted or moderated (a withdrawn post leaves the feed)."""
    moments = db.session.execute(
        select(
            func.max(Post.created_at),
            func.max(Post.edited_at),
            func.max(Post.deleted_at),
            func.max(Post.moderated_at),
        )
        .join(Discussion, Discussion.id == Post.discussion_id)
        .where(condition)
    ).one()
    return max((m for m in moments if m is not None), default=None)


def group_feed_sessions(group: Group, limit: int = FEED_SIZE) -> list[GroupSession]:
    """The group's sessions, latest start first, cancelled ones included (the entry says so)."""
    return list(
        db.session.scalars(
            select(GroupSession)
            .where(GroupSession.group_id == group.id)
            .order_by(GroupSession.starts_at.desc(), GroupSession.id.desc())
            .limit(limit)
        )
    )


def feed_page(number: int) -> Page:
    """The feeds the site follows, by title, for the admin page."""
    statement = select(Feed).order_by(func.lower(Feed.title), Feed.url)
    return paginate(statement, number, FEEDS_PER_PAGE)


def get_feed(feed_id: int) -> Feed:
    feed = db.session.get(Feed, feed_id)
    if feed is None:
        raise NotVisible(_("The site does not follow that feed."))
    return feed
