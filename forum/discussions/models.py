from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.accounts.models import User
from forum.articles.models import Article
from forum.core.db import CreatedMixin, UTCDateTime, enum_column
from forum.extensions import db
from forum.groups.models import Group, GroupSession

PATH_WIDTH = 10  # digits per id in a materialised path


class PostState(enum.StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    REJECTED = "rejected"
    DELETED = "deleted"


class Discussion(CreatedMixin, db.Model):
    """An article's public discussion, or a group's own discussion of that article."""

    __tablename__ = "discussions"
    __table_args__ = (
        CheckConstraint("article_id IS NOT NULL OR session_id IS NOT NULL", name="subject"),
        UniqueConstraint("article_id", "group_id"),
        # UNIQUE treats NULLs as distinct, so the one public discussion needs its own index.
        Index(
            "uq_discussions_public_article",
            "article_id",
            unique=True,
            sqlite_where=text("group_id IS NULL"),
            postgresql_where=text("group_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    # A group session's own thread (with the session's group_id); article_id is then None.
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("group_sessions.id", ondelete="CASCADE"), unique=True
    )
    is_locked: Mapped[bool] = mapped_column(default=False)
    # Kept current by the services: published posts, and top-level ones for pagination.
    post_count: Mapped[int] = mapped_column(default=0)
    last_post_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Changed by the database itself whenever anything the thread shows changes (a post, a
    # featured pin, an author's name): forum.discussions.versions. NULL until its first post.
    content_token: Mapped[str | None] = mapped_column(String(16))

    article: Mapped[Article | None] = relationship()
    group: Mapped[Group | None] = relationship()
    session: Mapped[GroupSession | None] = relationship()

    def __repr__(self) -> str:
        return f"<Discussion {self.id}>"


class Post(CreatedMixin, db.Model):
    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_discussion_parent", "discussion_id", "parent_id"),
        Index("ix_posts_discussion_root", "discussion_id", "root_id"),
        # A person's posts, newest last: the double-submission check reads their latest
        # post, however much they have written.
        Index("ix_posts_author_created", "author_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    discussion_id: Mapped[int] = mapped_column(ForeignKey("discussions.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    # The top-level post this reply hangs under (None for a top-level post): one query loads
    # a whole thread.
    root_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    # Zero-padded ids from the top-level post down to this one, e.g. "0000000007/0000000012/".
    path: Mapped[str] = mapped_column(String(1000), default="", index=True)
    depth: Mapped[int] = mapped_column(default=0)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    body_md: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    state: Mapped[PostState] = mapped_column(
        enum_column(PostState, "post_state"), default=PostState.PUBLISHED
    )
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    score: Mapped[int] = mapped_column(default=0)
    reply_count: Mapped[int] = mapped_column(default=0)
    # Why the post waits for review, one label a line ("new user", 'suspect word "x"').
    hold_reasons: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The moderator's reason, shown to the author when a post is rejected.
    rejection_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    # When a moderator last approved or rejected it (the queue's Approved and Rejected tabs).
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)

    discussion: Mapped[Discussion] = relationship()
    author: Mapped[User] = relationship()

    @property
    def is_published(self) -> bool:
        return self.state is PostState.PUBLISHED

    @property
    def is_deleted(self) -> bool:
        return self.state is PostState.DELETED

    @property
    def is_pending(self) -> bool:
        return self.state is PostState.PENDING

    @property
    def hold_labels(self) -> list[str]:
        return [label for label in self.hold_reasons.split("\n") if label]

    def place_under(self, parent: Post | None) -> None:
        """Hang this post under ``parent`` (None: at the top level). Needs the post's id: given
        ahead by the database's sequence, or by a first flush."""
        self.parent_id = parent.id if parent else None
        self.root_id = (parent.root_id or parent.id) if parent else None
        self.depth = parent.depth + 1 if parent else 0
        self.path = (parent.path if parent else "") + f"{self.id:0{PATH_WIDTH}d}/"

    def ancestor_ids(self) -> list[int]:
        """Ids from the top-level post down to the parent, read from the path."""
        return [int(part) for part in self.path.split("/") if part][:-1]

    def __repr__(self) -> str:
        return f"<Post {self.id}>"


class PostRevision(db.Model):
    """The text a post had before an edit."""

    __tablename__ = "post_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    editor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    body_md: Mapped[str] = mapped_column(Text)
    # When the replaced text was written (the post's creation or its previous edit).
    written_at: Mapped[datetime] = mapped_column(UTCDateTime())
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Vote(CreatedMixin, db.Model):
    __tablename__ = "votes"

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Follow(CreatedMixin, db.Model):
    __tablename__ = "follows"

    discussion_id: Mapped[int] = mapped_column(
        ForeignKey("discussions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


# The triggers that keep Discussion.content_token are created with these tables.
from forum.discussions import versions  # noqa: E402, F401
