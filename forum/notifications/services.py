"""The rules of notifications: who hears of what, on the site and by email, and how to stop.

Services flush and never commit. Emails are queued in the outbox in the caller's transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update

from forum.accounts.models import DigestFrequency, User
from forum.core.db import utc_now
from forum.core.errors import ValidationFailed
from forum.core.mail import OUTBOX_QUEUED, OutboxMessage, OutboxState, queue_email
from forum.discussions.models import Follow, Post
from forum.discussions.permissions import can_view_post
from forum.extensions import db
from forum.notifications import emails, permissions
from forum.notifications.models import DigestSchedule, EmailPreference, Kind, Notification

UNSUBSCRIBE_SALT = "forum.notifications.unsubscribe"
# The token's "what" for the digest; any other value is a notification kind.
DIGEST = "digest"
MENTION = re.compile(r"(?<![\w@/])@([a-z0-9][a-z0-9-]{0,39})", re.IGNORECASE)


@dataclass(frozen=True)
class KindInfo:
    label: str
    # Emailed unless the person turned it off.
    email_default: bool


KINDS: dict[str, KindInfo] = {
    Kind.REPLY: KindInfo("A reply to one of my posts", True),
    Kind.MENTION: KindInfo("Someone mentions me (@name)", True),
    Kind.FOLLOWED_POST: KindInfo("A new post in a discussion I follow", False),
    Kind.POST_HELD: KindInfo("My post is held for review", True),
    Kind.POST_APPROVED: KindInfo("My held post is approved", True),
    Kind.POST_REJECTED: KindInfo("My post is rejected", True),
}


class UnsubscribeRefused(ValueError):
    """The link is not one of ours (tampered with or cut short)."""


# Preferences ------------------------------------------------------------------------------


def wants_email(user: User, kind: str) -> bool:
    row = db.session.get(EmailPreference, {"user_id": user.id, "kind": str(kind)})
    if row is not None:
        return row.by_email
    info = KINDS.get(kind)
    return info.email_default if info else True


def email_choices(user: User) -> dict[str, bool]:
    """Every kind with the person's choice (or its default)."""
    rows = db.session.scalars(select(EmailPreference).where(EmailPreference.user_id == user.id))
    chosen = {row.kind: row.by_email for row in rows}
    return {kind: chosen.get(kind, info.email_default) for kind, info in KINDS.items()}


def set_email_preference(actor: User, user: User, kind: str, by_email: bool) -> None:
    permissions.require_manage_preferences(actor, user)
    if kind not in KINDS:
        raise ValidationFailed(None, "There is no such kind of email.")
    row = db.session.get(EmailPreference, {"user_id": user.id, "kind": str(kind)})
    if row is None:
        db.session.add(EmailPreference(user_id=user.id, kind=str(kind), by_email=by_email))
    else:
        row.by_email = by_email
    db.session.flush()


def digest_weekday(user: User) -> int:
    row = db.session.get(DigestSchedule, user.id)
    return row.weekday if row else 0


def set_digest_weekday(actor: User, user: User, weekday: int) -> None:
    permissions.require_manage_preferences(actor, user)
    if weekday not in range(7):
        raise ValidationFailed("digest_weekday", "Choose a day of the week.")
    row = db.session.get(DigestSchedule, user.id)
    if row is None:
        db.session.add(DigestSchedule(user_id=user.id, weekday=weekday))
    else:
        row.weekday = weekday
    db.session.flush()


# Unsubscribe ------------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(user: User, what: str) -> str:
    """A link that needs no login and does not expire: it can only ever turn email off."""
    return _serializer().dumps([user.id, str(what)])


def read_unsubscribe_token(token: str) -> tuple[User, str]:
    try:
        user_id, what = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        raise UnsubscribeRefused("This unsubscribe link is not valid.") from None
    user = db.session.get(User, user_id)
    if user is None or (what != DIGEST and what not in KINDS):
        raise UnsubscribeRefused("This unsubscribe link is no longer valid.")
    return user, what


def describe_subscription(what: str) -> str:
    if what == DIGEST:
        return "the email digest"
    return f"emails for “{KINDS[what].label.lower()}”"


def unsubscribe(token: str) -> tuple[User, str]:
    """Turn off what the token names; doing it twice changes nothing."""
    user, what = read_unsubscribe_token(token)
    if what == DIGEST:
        user.digest_frequency = DigestFrequency.OFF
        db.session.flush()
    else:
        set_email_preference(user, user, what, False)
    return user, what


# Notifying --------------------------------------------------------------------------------


def notify(
    user: User,
    kind: str,
    *,
    actor: User | None = None,
    post: Post | None = None,
    detail: str = "",
    now: datetime | None = None,
    by_email: bool | None = None,
) -> Notification:
    """Tell ``user`` on the site, and by email when they want this kind by email
    (``by_email``, when the caller has already read their choice).

    Other domains call this for their own kinds (moderation: held, approved, rejected with
    ``detail`` as the reason; groups later: join requests, sessions, ballots).
    """
    now = now or utc_now()
    notification = Notification(
        user_id=user.id,
        kind=str(kind),
        actor_id=actor.id if actor else None,
        post_id=post.id if post else None,
        discussion_id=post.discussion_id if post else None,
        detail=detail,
        created_at=now,
    )
    db.session.add(notification)
    db.session.flush()
    if by_email is None:
        by_email = wants_email(user, kind)
    if user.is_verified and by_email:
        emails.queue_notification_email(
            notification, unsubscribe_token(user, kind), now=now, user=user
        )
    return notification


def mentioned_usernames(markdown: str) -> set[str]:
    return {name.lower() for name in MENTION.findall(markdown)}


def _recipients_of_post(post: Post, author_id: int) -> dict[int, str]:
    """Who hears of a new post and as what: a reply beats a mention, which beats a follow."""
    recipients: dict[int, str] = {}
    names = mentioned_usernames(post.body_md)
    if names:
        for user_id in db.session.scalars(select(User.id).where(User.username.in_(sorted(names)))):
            recipients[user_id] = Kind.MENTION
    follower_ids = db.session.scalars(
        select(Follow.user_id).where(Follow.discussion_id == post.discussion_id)
    )
    for user_id in follower_ids:
        recipients.setdefault(user_id, Kind.FOLLOWED_POST)
    if post.parent_id is not None:
        parent_author = db.session.scalar(select(Post.author_id).where(Post.id == post.parent_id))
        if parent_author is not None:
            recipients[parent_author] = Kind.REPLY
    recipients.pop(author_id, None)
    return recipients


def notify_post_published(post: Post, now: datetime | None = None) -> list[Notification]:
    """A post is visible to everyone: its parent's author, the people it mentions and the
    discussion's followers hear of it, each once and only if they can see it."""
    if not post.is_published:
        return []
    recipients = _recipients_of_post(post, post.author_id)
    if not recipients:
        return []
    users = db.session.scalars(select(User).where(User.id.in_(list(recipients)))).all()
    already = set(
        db.session.scalars(
            select(Notification.user_id).where(
                Notification.post_id == post.id, Notification.user_id.in_(list(recipients))
            )
        )
    )
    # Everyone's choices in one read, however many followers the discussion has.
    chosen = {
        (row.user_id, row.kind): row.by_email
        for row in db.session.scalars(
            select(EmailPreference).where(EmailPreference.user_id.in_(list(recipients)))
        )
    }
    made = []
    for user in sorted(users, key=lambda u: u.id):
        if user.id in already or user.is_banned(now) or not can_view_post(user, post):
            continue
        kind = recipients[user.id]
        by_email = chosen.get((user.id, str(kind)), KINDS[kind].email_default)
        made.append(notify(user, kind, actor=post.author, post=post, now=now, by_email=by_email))
    return made


# Reading ----------------------------------------------------------------------------------


def mark_read(actor: User, notification_ids: list[int] | None, now: datetime | None = None) -> int:
    """Mark the actor's notifications read (all of them when ``notification_ids`` is None)."""
    statement = update(Notification).where(
        Notification.user_id == actor.id, Notification.read_at.is_(None)
    )
    if notification_ids is not None:
        statement = statement.where(Notification.id.in_(notification_ids))
    result = db.session.execute(
        statement.values(read_at=now or utc_now()).execution_options(synchronize_session=False)
    )
    db.session.flush()
    return result.rowcount or 0


# The outbox, for administrators ------------------------------------------------------------


def queue_test_email(actor: User, to: str) -> OutboxMessage:
    permissions.require_view_mail_status(actor)
    return queue_email(to, "notifications/test", sent_by=actor.display_name)


def retry_message(actor: User, message: OutboxMessage, now: datetime | None = None) -> None:
    """Send a failed (or waiting) message again at the next round, attempts counted afresh."""
    permissions.require_view_mail_status(actor)
    if message.state in (OutboxState.FAILED, OutboxState.QUEUED):
        message.state = OutboxState.QUEUED
        message.attempts = 0
        message.next_attempt_at = now or utc_now()
        db.session.flush()
        db.session.info[OUTBOX_QUEUED] = True
