"""Notifications shown on the site, each person's choices about email, and digests sent."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.accounts.models import User
from forum.core.db import CreatedMixin, UTCDateTime
from forum.discussions.models import Discussion, Post
from forum.extensions import db
from forum.groups.models import Group, GroupSession


class Kind(enum.StrEnum):
    """What a notification is about. Stored as text: later domains add kinds without a
    migration (groups: join requests, sessions, ballots)."""

    REPLY = "reply"
    MENTION = "mention"
    FOLLOWED_POST = "followed_post"
    POST_HELD = "post_held"
    POST_APPROVED = "post_approved"
    POST_REJECTED = "post_rejected"
    JOIN_REQUEST = "join_request"
    JOIN_ANSWERED = "join_answered"
    SESSION_SCHEDULED = "session_scheduled"
    SESSION_CHANGED = "session_changed"
    SESSION_CANCELLED = "session_cancelled"
    WAITLIST_PROMOTED = "waitlist_promoted"
    SESSION_REMINDER = "session_reminder"
    BALLOT_OPENED = "ballot_opened"
    BALLOT_CLOSING = "ballot_closing"
    QUEUE_GROWN = "queue_grown"


class Notification(CreatedMixin, db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_unread", "user_id", "read_at"),
        # One notification per person and post: a reply that also mentions them is a reply.
        UniqueConstraint("user_id", "post_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    discussion_id: Mapped[int | None] = mapped_column(
        ForeignKey("discussions.id", ondelete="CASCADE")
    )
    # What a group's notification is about (a join request: the group; a session: both).
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("group_sessions.id", ondelete="CASCADE")
    )
    # Words that go with it, such as a moderator's reason.
    detail: Mapped[str] = mapped_column(Text, default="")
    # Set for what must reach a person once whoever runs it and however often (a session's
    # reminder, a moderator's queue alert for the day): a second one is refused by the index.
    once_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    post: Mapped[Post | None] = relationship()
    discussion: Mapped[Discussion | None] = relationship()
    group: Mapped[Group | None] = relationship()
    session: Mapped[GroupSession | None] = relationship()


class EmailPreference(db.Model):
    """A person's choice for one kind of email; without a row the kind's default holds."""

    __tablename__ = "email_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    by_email: Mapped[bool] = mapped_column(default=True)


class DigestSchedule(db.Model):
    """When a person's weekly digest goes out (the frequency itself is on the user)."""

    __tablename__ = "digest_schedules"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    # 0 is Monday, as in datetime.weekday().
    weekday: Mapped[int] = mapped_column(default=0)


class Digest(CreatedMixin, db.Model):
    """One period of one person's digest: sent, or found empty. The key makes a rerun harmless."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("user_id", "period_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # "daily:2026-11-29" or "weekly:2026-11-30": the local date of the 07:00 it is due at.
    period_key: Mapped[str] = mapped_column(String(40))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime] = mapped_column(UTCDateTime())
    item_count: Mapped[int] = mapped_column(default=0)
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL")
    )


class QueueAlert(db.Model):
    """A moderator's wish to hear when their moderation queue holds ``threshold`` items or
    more; at most one alert a day (in their time zone)."""

    __tablename__ = "queue_alerts"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    threshold: Mapped[int] = mapped_column()


class AnnouncedSession(db.Model):
    """What a session's people were last told of its time, place and readings (a digest of
    them), so an edit that moves none of these tells nobody."""

    __tablename__ = "announced_sessions"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("group_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    fingerprint: Mapped[str] = mapped_column(String(64))
