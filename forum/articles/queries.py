"""Reads of articles, with visibility applied: hidden articles exist only for admins."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from forum.articles.models import Article, Feed
from forum.articles.permissions import can_edit_articles
from forum.core.errors import NotVisible
from forum.core.pagination import Page, paginate
from forum.discussions.models import Discussion, Post, PostState
from forum.extensions import db
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
    """The article at ``slug`` with its figures, reading and groups loaded; 404 if the viewer
    may not see it."""
    article = db.session.scalar(
        _visible_to(viewer, select(Article))
        .where(Article.slug == slug)
        .options(
            selectinload(Article.figures),
            selectinload(Article.further_reading),
            selectinload(Article.groups),
        )
    )
    if article is None:
        raise NotVisible(_("There is no such article."))
    return article


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
