from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.core.db import CreatedMixin, UTCDateTime, utc_now
from forum.extensions import db
from forum.groups.models import Group

# The groups that discuss an article (the seed's "… Discussion group" line).
article_groups = Table(
    "article_groups",
    db.metadata,
    Column("article_id", ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
)


class Article(CreatedMixin, db.Model):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    publication: Mapped[str] = mapped_column(String(200), default="")
    source_url: Mapped[str | None] = mapped_column(String(1000), index=True)
    # The id a feed gives the article (RSS guid, Atom id, WordPress guid): how a feed's next
    # import finds it again.
    guid: Mapped[str | None] = mapped_column(String(1000), unique=True)
    author_name: Mapped[str] = mapped_column(String(200), default="")
    author_bio: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    # The body as markdown (what an editor changes) and as HTML with its figures in place.
    body_md: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    is_hidden: Mapped[bool] = mapped_column(default=False)

    figures: Mapped[list[Figure]] = relationship(
        order_by="Figure.position", cascade="all, delete-orphan"
    )
    further_reading: Mapped[list[Reading]] = relationship(
        order_by="Reading.position", cascade="all, delete-orphan"
    )
    groups: Mapped[list[Group]] = relationship(secondary=article_groups, order_by=Group.name)

    def __repr__(self) -> str:
        return f"<Article {self.slug}>"


class Figure(db.Model):
    __tablename__ = "figures"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    # The figure stands after this many body paragraphs.
    after_paragraph: Mapped[int] = mapped_column(default=0)
    caption: Mapped[str] = mapped_column(Text, default="")
    credit: Mapped[str] = mapped_column(String(300), default="")
    image_url: Mapped[str | None] = mapped_column(String(1000))


class Reading(db.Model):
    """One entry of "To read more on this topic"."""

    __tablename__ = "readings"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(1000))


class Feed(CreatedMixin, db.Model):
    """A feed an administrator follows: the worker polls it and imports what is new."""

    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(1000), unique=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    # The validators of the last good response, sent back so an unchanged feed costs a 304.
    etag: Mapped[str | None] = mapped_column(String(300))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # What the last poll did, for people: "2 created, 1 updated", "not modified", the error.
    last_result: Mapped[str] = mapped_column(Text, default="")
    last_failed: Mapped[bool] = mapped_column(default=False)


class UnclaimedAccount(CreatedMixin, db.Model):
    """An account made for a blog commenter by a WordPress import. It cannot log in; whoever
    verifies ``email`` on an account of their own takes its posts over (see claims.py)."""

    __tablename__ = "unclaimed_accounts"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    # Lower-cased; empty when the commenter left none (then nobody can claim the account).
    email: Mapped[str] = mapped_column(String(254), index=True)
    # The commenter's name as the blog had it, which finds the account again when there is
    # no email address.
    name: Mapped[str] = mapped_column(String(200), default="")


class ImportedComment(db.Model):
    """A post that came from a blog comment: the comment's id finds it on the next import."""

    __tablename__ = "imported_comments"
    __table_args__ = (UniqueConstraint("article_id", "remote_id"),)

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    remote_id: Mapped[str] = mapped_column(String(100))
