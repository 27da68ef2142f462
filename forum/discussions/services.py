"""The rules of discussions: who may post where, and what happens when they do."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Row, Select, bindparam, delete, literal_column, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from forum.accounts.models import User
from forum.api import queries as webhook_queries
from forum.articles.models import Article
from forum.core import signals
from forum.core.db import utc_now
from forum.core.errors import ValidationFailed
from forum.core.text import render_markdown
from forum.discussions import permissions
from forum.discussions.models import (
    Discussion,
    Follow,
    Post,
    PostRevision,
    PostState,
    Vote,
)
from forum.extensions import db
from forum.moderation import log as moderation_log
from forum.moderation import policy as moderation_policy
from forum.moderation.models import Action
from forum.moderation.permissions import can_moderate_post

MAX_BODY_LENGTH = 20_000
# The same text posted again in the same place this soon is a double submission.
DUPLICATE_WINDOW = timedelta(minutes=10)
# The sequence of posts.id on PostgreSQL (a SERIAL column's, as the migrations create it).
POST_ID_SEQUENCE = "posts_id_seq"


class DuplicatePost(ValidationFailed):
    """The post was already made; ``post`` is the one that exists."""

    def __init__(self, post: Post):
        super().__init__("body", "You had already posted this; it is shown below.")
        self.post = post


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


def _checked_body(body: str | None) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationFailed("body", "Write something before posting.")
    if len(body) > MAX_BODY_LENGTH:
        raise ValidationFailed(
            "body",
            f"Posts are limited to {MAX_BODY_LENGTH:,} characters; this one has {len(body):,}.",
        )
    return body


def _check_parent(discussion: Discussion, parent: Post | None) -> None:
    if parent is None:
        return
    if parent.discussion_id != discussion.id:
        raise ValidationFailed("body", "That post belongs to another discussion.")
    if parent.state is not PostState.PUBLISHED:
        raise ValidationFailed(
            "body", "The post you are replying to has been deleted or is not published."
        )


@cache
def _posting_context_statement(reply: bool, sequences: bool) -> Select:
    """What posting reads besides the policy, in one statement: the author's latest post if
    it is the same text in the same place moments ago (a double submission: the form sent
    again, so always their latest post; one row of an index, whatever they wrote before),
    whether the author already follows the discussion, whether any webhook is active (most
    sites have none; forum.api is told, so the post's event reads no webhooks), and where the
    database has sequences (PostgreSQL) the new post's id, so the post is written whole in one
    INSERT rather than inserted and then given its path. Built once for each kind: building
    it cost more than running it."""
    discussion_id, author_id = bindparam("discussion_id"), bindparam("author_id")
    # Only the author in the inner query: PostgreSQL's plan for the prepared statement then
    # reads one row of the author-and-time index whatever the other values are.
    latest = (
        select(
            Post.id, Post.discussion_id, Post.parent_id, Post.body_md, Post.created_at, Post.state
        )
        .where(Post.author_id == author_id)
        .order_by(Post.created_at.desc())
        .limit(1)
        .subquery()
    )
    duplicate = (
        select(latest.c.id)
        .where(
            latest.c.discussion_id == discussion_id,
            latest.c.parent_id == bindparam("parent_id") if reply else latest.c.parent_id.is_(None),
            latest.c.body_md == bindparam("body"),
            latest.c.created_at >= bindparam("since", type_=Post.created_at.type),
            latest.c.state != PostState.DELETED,
        )
        .scalar_subquery()
    )
    follows = (
        select(Follow.user_id)
        .where(Follow.discussion_id == discussion_id, Follow.user_id == author_id)
        .exists()
    )
    columns = [
        duplicate.label("duplicate_id"),
        follows.label("follows"),
        webhook_queries.any_active_webhook().label("webhooks"),
    ]
    if sequences:
        # Named in the SQL, so the server resolves it once for the prepared statement.
        columns.append(literal_column(f"nextval('{POST_ID_SEQUENCE}')").label("post_id"))
    return select(*columns)


def _posting_context(
    actor: User, discussion: Discussion, parent: Post | None, body: str, now: datetime
) -> Row:
    params = {
        "discussion_id": discussion.id,
        "author_id": actor.id,
        "body": body,
        "since": now - DUPLICATE_WINDOW,
    }
    if parent is not None:
        params["parent_id"] = parent.id
    statement = _posting_context_statement(
        parent is not None, db.session.get_bind().dialect.name == "postgresql"
    )
    return db.session.execute(statement, params).one()


def post_reply(
    actor: User,
    discussion: Discussion,
    parent: Post | None,
    body: str,
    now: datetime | None = None,
) -> Post:
    """Post ``body`` in ``discussion``, at the top level or under ``parent``."""
    now = now or utc_now()
    permissions.require_reply(actor, discussion)
    body = _checked_body(body)
    _check_parent(discussion, parent)
    context = _posting_context(actor, discussion, parent, body, now)
    if context.duplicate_id is not None:
        raise DuplicatePost(db.session.get(Post, context.duplicate_id))
    # The moderation policy says whether the post is published or held, and why.
    verdict = moderation_policy.verdict_for(actor, discussion, body)

    post = Post(
        id=getattr(context, "post_id", None),
        discussion_id=discussion.id,
        author_id=actor.id,
        body_md=body,
        body_html=render_markdown(body),
        state=verdict.state,
        hold_reasons="\n".join(verdict.reasons),
        created_at=now,
    )
    db.session.add(post)
    if post.id is None:
        # Without sequences the INSERT gives the post its id, which its path holds.
        db.session.flush()
    post.place_under(parent)
    if post.is_published:
        count_published(post, +1, discussion, parent, now)
    if not context.follows:
        _follow(actor, discussion, now)
    db.session.flush()
    webhook_queries.note_active_webhooks(context.webhooks)
    signals.post_created.send(post, actor=actor)
    return post


def count_published(
    post: Post,
    step: int,
    discussion: Discussion | None = None,
    parent: Post | None = None,
    now: datetime | None = None,
) -> None:
    """Move the counters of published posts by ``step`` as ``post`` is published (+1) or
    withdrawn (-1). Counters move in SQL so two replies at once both count."""
    discussion = discussion or post.discussion
    if post.parent_id is not None:
        parent = parent or db.session.get(Post, post.parent_id)
        parent.reply_count = Post.reply_count + step
    discussion.post_count = Discussion.post_count + step
    if step > 0 and now is not None:
        discussion.last_post_at = now


def edit_post(actor: User, post: Post, body: str, now: datetime | None = None) -> Post:
    """Replace the post's text, keeping what it said before as a revision."""
    now = now or utc_now()
    permissions.require_edit_post(actor, post)
    body = _checked_body(body)
    if not can_moderate_post(actor, post):
        policy = moderation_policy.effective_policy(post.discussion)
        moderation_policy.check_read_only(actor, policy)
        moderation_policy.check_banned_words(policy, body)
    if body == post.body_md:
        return post
    db.session.add(
        PostRevision(
            post_id=post.id,
            editor_id=actor.id,
            body_md=post.body_md,
            written_at=post.edited_at or post.created_at,
            replaced_at=now,
        )
    )
    before = post.body_md
    post.body_md = body
    post.body_html = render_markdown(body)
    post.edited_at = now
    if post.is_published and actor.id != post.author_id:
        # A moderator changed what readers already saw: the log keeps both texts.
        moderation_log.record(actor, Action.EDIT, now, post=post, before=before, after=body)
    db.session.flush()
    signals.post_edited.send(post, actor=actor)
    return post


def delete_post(actor: User, post: Post, now: datetime | None = None) -> Post:
    """Withdraw a post; a placeholder keeps its replies in place."""
    now = now or utc_now()
    permissions.require_delete_post(actor, post)
    if post.state is PostState.PUBLISHED:
        post.discussion.post_count = Discussion.post_count - 1
    post.state = PostState.DELETED
    post.deleted_at = now
    db.session.flush()
    signals.post_deleted.send(post, actor=actor)
    return post


def toggle_vote(actor: User, post: Post, now: datetime | None = None) -> bool:
    """Upvote ``post``, or take the vote back; True when the actor's vote now stands."""
    permissions.require_vote(actor, post)
    moderation_policy.check_read_only(actor, moderation_policy.effective_policy(post.discussion))
    existing = db.session.get(Vote, {"post_id": post.id, "user_id": actor.id})
    if existing is None:
        db.session.add(Vote(post_id=post.id, user_id=actor.id, created_at=now or utc_now()))
        post.score = Post.score + 1
        voted = True
    else:
        db.session.execute(delete(Vote).where(Vote.post_id == post.id, Vote.user_id == actor.id))
        post.score = Post.score - 1
        voted = False
    db.session.flush()
    return voted


def _follow(actor: User, discussion: Discussion, now: datetime) -> None:
    """Make ``actor`` follow ``discussion``, once: a second request at the same moment (two
    replies sent together) finds the follow made rather than failing on it."""
    dialect = db.session.get_bind().dialect.name
    insert = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}[dialect]
    db.session.execute(
        insert(Follow)
        .values(discussion_id=discussion.id, user_id=actor.id, created_at=now)
        .on_conflict_do_nothing()
    )


def set_following(
    actor: User, discussion: Discussion, following: bool, now: datetime | None = None
) -> None:
    permissions.require_follow(actor, discussion)
    if following:
        _follow(actor, discussion, now or utc_now())
    else:
        db.session.execute(
            delete(Follow).where(Follow.discussion_id == discussion.id, Follow.user_id == actor.id)
        )
    db.session.flush()


def set_discussion_locked(actor: User, discussion: Discussion, locked: bool) -> None:
    """Close a discussion to new posts, or open it again."""
    permissions.require_lock_discussion(actor, discussion)
    discussion.is_locked = locked
    db.session.flush()
