"""Reads of articles, with visibility applied: hidden articles exist only for admins."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import selectinload

from forum.articles.models import Article
from forum.articles.permissions import can_edit_articles
from forum.core.errors import NotVisible
from forum.core.pagination import Page, paginate
from forum.discussions.models import Discussion
from forum.extensions import db

FEED_SIZE = 20


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
        raise NotVisible("There is no such article.")
    return article


def feed_articles(limit: int = FEED_SIZE) -> list[Article]:
    """The newest public articles, for the Atom feed."""
    return list(db.session.scalars(_newest_first(_visible_to(None, select(Article))).limit(limit)))
