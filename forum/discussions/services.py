"""The rules of discussions: who may post where, what happens when they do."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from forum.accounts.models import User
from forum.articles.models import Article
from forum.discussions.models import Discussion, Post
from forum.extensions import db


def ensure_public_discussion(article: Article) -> Discussion:
    """The article's public discussion, created with the article (idempotent)."""
    discussion = db.session.scalar(
        select(Discussion).where(Discussion.article_id == article.id, Discussion.group_id.is_(None))
    )
    if discussion is None:
        discussion = Discussion(article_id=article.id)
        db.session.add(discussion)
        db.session.flush()
    return discussion


def post_reply(
    actor: User,
    discussion: Discussion,
    parent: Post | None,
    body: str,
    now: datetime | None = None,
) -> Post:
    """Post ``body`` in ``discussion``, at the top level or under ``parent``."""
    raise NotImplementedError
