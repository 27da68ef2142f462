"""What the admin area stores: the site's settings, and the groups it archived."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from forum.core.db import UTCDateTime, utc_now
from forum.extensions import db


class SiteSetting(db.Model):
    """One setting an admin changed; a setting without a row has its configured default."""

    __tablename__ = "site_settings"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    # JSON, so numbers, switches and lists keep their type.
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)


class GroupArchive(db.Model):
    """A group an admin archived: it takes no new members and its discussions are closed."""

    __tablename__ = "group_archives"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    archived_at: Mapped[datetime] = mapped_column(UTCDateTime())
    archived_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
