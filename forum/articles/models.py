from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table, Text
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
    source_url: Mapped[str | None] = mapped_column(String(1000))
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
