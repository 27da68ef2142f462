"""Moderation: policies per scope, flags, penalties and the append-only audit log."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.accounts.models import User
from forum.core.db import CreatedMixin, UTCDateTime, enum_column
from forum.discussions.models import Post
from forum.extensions import db


class Mode(enum.StrEnum):
    """When a new post waits for a moderator before anyone else sees it."""

    ALL = "all"  # pre-moderate every post
    NEW_USERS = "new_users"  # pre-moderate users until enough of their posts were approved
    NONE = "none"  # post-moderate: publish, and rely on flags


class Policy(db.Model):
    """The site's policy (no group, no discussion), or a group's or a discussion's overrides.

    A NULL column inherits: discussion -> group -> site -> the defaults in policy.py.
    """

    __tablename__ = "moderation_policies"
    __table_args__ = (
        CheckConstraint("group_id IS NULL OR discussion_id IS NULL", name="one_scope"),
        UniqueConstraint("group_id"),
        UniqueConstraint("discussion_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    discussion_id: Mapped[int | None] = mapped_column(
        ForeignKey("discussions.id", ondelete="CASCADE")
    )
    mode: Mapped[Mode | None] = mapped_column(enum_column(Mode, "moderation_mode"))
    new_user_posts: Mapped[int | None] = mapped_column()
    flag_threshold: Mapped[int | None] = mapped_column()
    # One word or phrase per line.
    banned_words: Mapped[str | None] = mapped_column(Text)
    suspect_words: Mapped[str | None] = mapped_column(Text)
    hold_links: Mapped[bool | None] = mapped_column()
    # Site only: nobody but administrators posts, votes or flags.
    read_only: Mapped[bool | None] = mapped_column()


class FlagReason(enum.StrEnum):
    SPAM = "spam"
    ABUSE = "abuse"
    OFF_TOPIC = "off_topic"
    OTHER = "other"


FLAG_REASON_LABELS = {
    FlagReason.SPAM: "Spam",
    FlagReason.ABUSE: "Abusive or uncivil",
    FlagReason.OFF_TOPIC: "Off topic",
    FlagReason.OTHER: "Something else",
}


class Flag(CreatedMixin, db.Model):
    """A reader's report of a post; open until a moderator acts on the post."""

    __tablename__ = "flags"
    __table_args__ = (
        UniqueConstraint("post_id", "user_id"),
        # The queue's Flagged tab and its count read only the open flags.
        Index(
            "ix_flags_open",
            "post_id",
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[FlagReason] = mapped_column(enum_column(FlagReason, "flag_reason"))
    note: Mapped[str] = mapped_column(Text, default="")
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    @property
    def reason_label(self) -> str:
        return FLAG_REASON_LABELS[self.reason]


class PenaltyKind(enum.StrEnum):
    SUSPENSION = "suspension"
    BAN = "ban"


class Penalty(CreatedMixin, db.Model):
    """Why and until when a user may not take part: site-wide (the user's status mirrors the
    latest), or in one group's discussions (their membership there is banned)."""

    __tablename__ = "penalties"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[PenaltyKind] = mapped_column(enum_column(PenaltyKind, "penalty_kind"))
    reason: Mapped[str] = mapped_column(Text, default="")
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Action(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    EDIT_APPROVE = "edit_approve"
    DELETE = "delete"
    HIDE = "hide"  # a post hidden by flags, pending review
    LOCK = "lock"
    UNLOCK = "unlock"
    SUSPEND = "suspend"
    BAN = "ban"
    GROUP_BAN = "group_ban"
    POLICY = "policy"
    WARN = "warn"
    ACKNOWLEDGE = "acknowledge"  # the warned author read the warning
    FEATURE = "feature"
    UNFEATURE = "unfeature"
    EDIT = "edit"  # a moderator changed a published post's text
    ADMIN = "admin"  # an admin's change in the admin area; the subject says what
    GROUP_UNBAN = "group_unban"  # a ban from one group lifted


ACTION_LABELS = {
    Action.APPROVE: "Approved",
    Action.REJECT: "Rejected",
    Action.EDIT_APPROVE: "Edited and approved",
    Action.DELETE: "Deleted",
    Action.HIDE: "Hidden pending review",
    Action.LOCK: "Locked the discussion",
    Action.UNLOCK: "Reopened the discussion",
    Action.SUSPEND: "Suspended",
    Action.BAN: "Banned",
    Action.GROUP_BAN: "Banned from the group",
    Action.POLICY: "Changed the policy",
    Action.WARN: "Warned",
    Action.ACKNOWLEDGE: "Acknowledged a warning",
    Action.FEATURE: "Featured",
    Action.UNFEATURE: "No longer featured",
    Action.EDIT: "Edited",
    Action.ADMIN: "Administration",
    Action.GROUP_UNBAN: "Ban from the group lifted",
}


class AuditEntry(db.Model):
    """One moderation action. Rows are only ever added (see the guard below)."""

    __tablename__ = "moderation_log"
    __table_args__ = (Index("ix_moderation_log_created", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # NULL: the system acted (a post hidden by readers' flags).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[Action] = mapped_column(enum_column(Action, "moderation_action"))
    # What was acted on; kept as plain ids and text so the record outlives what it names.
    post_id: Mapped[int | None] = mapped_column(index=True)
    discussion_id: Mapped[int | None] = mapped_column()
    group_id: Mapped[int | None] = mapped_column(index=True)
    target_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    before_text: Mapped[str | None] = mapped_column(Text)
    after_text: Mapped[str | None] = mapped_column(Text)
    # A short description of what was acted on (the article's title, the user's name).
    subject: Mapped[str] = mapped_column(String(300), default="")

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    target_user: Mapped[User | None] = relationship(foreign_keys=[target_user_id])

    @property
    def action_label(self) -> str:
        return ACTION_LABELS[self.action]


class AuthorWarning(CreatedMixin, db.Model):
    """A moderator's warning to an author, who posts again only after acknowledging it."""

    __tablename__ = "moderation_warnings"
    __table_args__ = (Index("ix_moderation_warnings_user_open", "user_id", "acknowledged_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The post it is about, and that post's group (whose moderators may read the warning).
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"))
    message: Mapped[str] = mapped_column(Text)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    moderator: Mapped[User | None] = relationship(foreign_keys=[moderator_id])
    post: Mapped[Post | None] = relationship()


class FeaturedPost(CreatedMixin, db.Model):
    """A published post a moderator pinned: shown first in its discussion, marked Featured."""

    __tablename__ = "featured_posts"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    discussion_id: Mapped[int] = mapped_column(
        ForeignKey("discussions.id", ondelete="CASCADE"), index=True
    )
    featured_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


# The queue's tabs and counts read posts by state (and, for the recently approved and the
# rejected, by when a moderator acted), so they never walk every post.
Index("ix_posts_state_moderated", Post.state, Post.moderated_at)


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _append_only(mapper, connection, target) -> None:
    raise RuntimeError("The moderation log is append-only.")
