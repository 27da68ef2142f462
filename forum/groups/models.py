from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.accounts.models import User
from forum.core.db import CreatedMixin, enum_column
from forum.extensions import db


class Visibility(enum.StrEnum):
    PUBLIC = "public"
    MEMBERS = "members"


class JoinPolicy(enum.StrEnum):
    OPEN = "open"
    REQUEST = "request"
    INVITE = "invite"


class MemberRole(enum.StrEnum):
    ORGANISER = "organiser"
    MODERATOR = "moderator"
    MEMBER = "member"


class MemberState(enum.StrEnum):
    ACTIVE = "active"
    PENDING = "pending"
    BANNED = "banned"


class Group(CreatedMixin, db.Model):
    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[Visibility] = mapped_column(
        enum_column(Visibility, "group_visibility"), default=Visibility.PUBLIC
    )
    join_policy: Mapped[JoinPolicy] = mapped_column(
        enum_column(JoinPolicy, "join_policy"), default=JoinPolicy.OPEN
    )
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="group", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Group {self.slug}>"


class Membership(CreatedMixin, db.Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("group_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[MemberRole] = mapped_column(
        enum_column(MemberRole, "member_role"), default=MemberRole.MEMBER
    )
    state: Mapped[MemberState] = mapped_column(
        enum_column(MemberState, "member_state"), default=MemberState.ACTIVE
    )

    group: Mapped[Group] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()
