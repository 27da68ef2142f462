"""Reads for notifications, the mail status page and digests.

Digest content is read for a whole chunk of people at once: a handful of queries however
many people the chunk holds, then each person's share is picked out in Python.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import nh3
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import aliased, joinedload

from forum.accounts.models import User
from forum.articles.models import Article
from forum.core.errors import NotVisible
from forum.core.mail import OutboxMessage, OutboxState
from forum.core.pagination import Page, paginate
from forum.discussions.models import Discussion, Follow, Post, PostState
from forum.discussions.permissions import can_view_discussion
from forum.extensions import db
from forum.notifications.models import Notification

EXCERPT_LENGTH = 220
POSTS_PER_SECTION = 5


def discussion_title(discussion: Discussion | None) -> str:
    """What a discussion is about: its article, or its group session."""
    if discussion is None:
        return "a discussion"
    if discussion.article is not None:
        return discussion.article.title
    if discussion.session is not None:
        return discussion.session.title
    return "a discussion"


def discussion_path(discussion: Discussion) -> str:
    """The discussion's page on the site (the stable URLs of DESIGN.md)."""
    if discussion.article is not None:
        return f"/articles/{discussion.article.slug}"
    if discussion.session is not None and discussion.group is not None:
        return f"/groups/{discussion.group.slug}/sessions/{discussion.session.id}"
    return "/"


# On-site notifications --------------------------------------------------------------------


def unread_count(user) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def notifications_for(user, page: int) -> Page:
    statement = (
        select(Notification)
        .where(Notification.user_id == user.id)
        .options(
            joinedload(Notification.actor),
            joinedload(Notification.post)
            .joinedload(Post.discussion)
            .options(joinedload(Discussion.article), joinedload(Discussion.session)),
        )
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    return paginate(statement, page, per_page=current_app.config["POSTS_PER_PAGE"])


# The outbox -------------------------------------------------------------------------------


def outbox_counts() -> dict[str, int]:
    rows = db.session.execute(
        select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
    ).all()
    counts = {state.value: 0 for state in OutboxState}
    counts.update({state.value: count for state, count in rows})
    return counts


def outbox_messages(page: int, state: str | None = None) -> Page:
    statement = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if state in {s.value for s in OutboxState}:
        statement = statement.where(OutboxMessage.state == OutboxState(state))
    return paginate(statement, page, per_page=50)


def get_outbox_message(message_id: int) -> OutboxMessage:
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise NotVisible("There is no such message.")
    return message


# Digests ----------------------------------------------------------------------------------


def excerpt(body_html: str, length: int = EXCERPT_LENGTH) -> str:
    text = html.unescape(nh3.clean(body_html, tags=set()))
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= length:
        return text
    return text[:length].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


@dataclass
class DigestPost:
    id: int
    author: str
    excerpt: str
    score: int
    created_at: datetime


@dataclass
class DigestSection:
    """New posts in one discussion: an article's, or a group's own on that article."""

    title: str
    path: str
    group_name: str | None
    posts: list[DigestPost] = field(default_factory=list)
    more: int = 0


@dataclass
class DigestContent:
    sections: list[DigestSection] = field(default_factory=list)
    replies: list[DigestPost] = field(default_factory=list)
    articles: list[Article] = field(default_factory=list)

    @property
    def item_count(self) -> int:
        return (
            sum(len(s.posts) + s.more for s in self.sections)
            + len(self.replies)
            + len(self.articles)
        )


@dataclass(frozen=True)
class Window:
    user: User
    start: datetime
    end: datetime

    def holds(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def _digest_post(post: Post, authors: dict[int, str]) -> DigestPost:
    return DigestPost(
        id=post.id,
        author=authors.get(post.author_id, "Someone"),
        excerpt=excerpt(post.body_html),
        score=post.score,
        created_at=post.created_at,
    )


def _best_first(post: Post):
    return (-post.score, post.created_at, post.id)


def digest_contents(windows: list[Window]) -> dict[int, DigestContent]:
    """Each person's digest for their window, read for all of them at once."""
    if not windows:
        return {}
    user_ids = [w.user.id for w in windows]
    earliest = min(w.start for w in windows)
    latest = max(w.end for w in windows)

    followed: dict[int, set[int]] = defaultdict(set)
    for user_id, discussion_id in db.session.execute(
        select(Follow.user_id, Follow.discussion_id).where(Follow.user_id.in_(user_ids))
    ):
        followed[user_id].add(discussion_id)
    discussion_ids = set().union(*followed.values()) if followed else set()

    new_posts: list[Post] = []
    if discussion_ids:
        new_posts = list(
            db.session.scalars(
                select(Post).where(
                    Post.discussion_id.in_(sorted(discussion_ids)),
                    Post.state == PostState.PUBLISHED,
                    Post.created_at >= earliest,
                    Post.created_at < latest,
                )
            )
        )
    parent = aliased(Post)
    replies = db.session.execute(
        select(Post, parent.author_id)
        .join(parent, Post.parent_id == parent.id)
        .where(
            parent.author_id.in_(user_ids),
            Post.state == PostState.PUBLISHED,
            Post.created_at >= earliest,
            Post.created_at < latest,
        )
    ).all()
    articles = list(
        db.session.scalars(
            select(Article)
            .where(
                Article.is_hidden.is_(False),
                Article.published_at >= earliest,
                Article.published_at < latest,
            )
            .order_by(Article.published_at.desc())
        )
    )
    shown_ids = {p.discussion_id for p in new_posts} | {p.discussion_id for p, _ in replies}
    discussions = {
        d.id: d
        for d in db.session.scalars(
            select(Discussion)
            .where(Discussion.id.in_(sorted(shown_ids)))
            .options(
                joinedload(Discussion.article),
                joinedload(Discussion.group),
                joinedload(Discussion.session),
            )
        )
    }
    author_ids = {p.author_id for p in new_posts} | {p.author_id for p, _ in replies}
    authors = dict(
        db.session.execute(
            select(User.id, User.display_name).where(User.id.in_(sorted(author_ids)))
        ).all()
    )

    posts_by_discussion: dict[int, list[Post]] = defaultdict(list)
    for post in new_posts:
        posts_by_discussion[post.discussion_id].append(post)
    replies_to: dict[int, list[Post]] = defaultdict(list)
    for post, parent_author in replies:
        replies_to[parent_author].append(post)

    contents = {}
    for window in windows:
        user = window.user
        content = DigestContent()
        reply_posts = [
            p
            for p in replies_to.get(user.id, [])
            if window.holds(p.created_at)
            and p.author_id != user.id
            and can_view_discussion(user, discussions[p.discussion_id])
        ]
        reply_ids = {p.id for p in reply_posts}
        content.replies = [_digest_post(p, authors) for p in sorted(reply_posts, key=_best_first)]
        for discussion_id in sorted(followed.get(user.id, ())):
            discussion = discussions.get(discussion_id)
            if discussion is None or not can_view_discussion(user, discussion):
                continue
            posts = sorted(
                (
                    p
                    for p in posts_by_discussion.get(discussion_id, [])
                    if window.holds(p.created_at)
                    and p.author_id != user.id
                    and p.id not in reply_ids
                ),
                key=_best_first,
            )
            if not posts:
                continue
            content.sections.append(
                DigestSection(
                    title=discussion_title(discussion),
                    path=discussion_path(discussion),
                    group_name=discussion.group.name if discussion.group else None,
                    posts=[_digest_post(p, authors) for p in posts[:POSTS_PER_SECTION]],
                    more=max(0, len(posts) - POSTS_PER_SECTION),
                )
            )
        content.sections.sort(key=lambda s: (-len(s.posts) - s.more, s.title))
        content.articles = [a for a in articles if window.holds(a.published_at)]
        contents[user.id] = content
    return contents
