from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from forum.core.db import CreatedMixin, UTCDateTime, enum_column, utc_now
from forum.extensions import db


class Role(enum.StrEnum):
    READER = "reader"
    MODERATOR = "moderator"
    ADMIN = "admin"


class UserStatus(enum.StrEnum):
    ACTIVE = "active"
    BANNED = "banned"


class DigestFrequency(enum.StrEnum):
    OFF = "off"
    DAILY = "daily"
    WEEKLY = "weekly"


class User(CreatedMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    # The handle in /users/<username>: made from the display name, unique.
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), default=Role.READER)
    status: Mapped[UserStatus] = mapped_column(
        enum_column(UserStatus, "user_status"), default=UserStatus.ACTIVE
    )
    banned_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    bio: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # The language the member chose for pages and emails ("en", "fr"); None: the browser's.
    language: Mapped[str | None] = mapped_column(String(8))
    digest_frequency: Mapped[DigestFrequency] = mapped_column(
        enum_column(DigestFrequency, "digest_frequency"), default=DigestFrequency.OFF
    )
    # Posts of this user a moderator approved; "new" users are below the site's threshold.
    approved_post_count: Mapped[int] = mapped_column(default=0)
    # Bumped when the password changes: every other session and remember-me cookie ends.
    session_version: Mapped[int] = mapped_column(default=1)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The address the account last signed in or registered from, for moderators (spotting a
    # returning spammer); purged after the site's retention period (accounts/privacy.py).
    last_ip: Mapped[str | None] = mapped_column(String(45))
    last_ip_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # Set when the member deleted the account: the row stays, without personal data, so the
    # posts they chose to keep show "Deleted member".
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # Flask-Login's interface.
    is_anonymous = False

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return True

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_moderator(self) -> bool:
        return self.role in (Role.MODERATOR, Role.ADMIN)

    def is_banned(self, now: datetime | None = None) -> bool:
        if self.status is not UserStatus.BANNED:
            return False
        return self.banned_until is None or self.banned_until > (now or utc_now())

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username}>"
