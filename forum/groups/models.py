from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.accounts.models import User
from forum.core.db import CreatedMixin, UTCDateTime, enum_column, utc_now
from forum.extensions import db

if TYPE_CHECKING:
    # articles.models imports this module (an article's groups).
    from forum.articles.models import Article


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


class VenueType(enum.StrEnum):
    LIBRARY = "library"
    RETIREMENT = "retirement"
    CLASSROOM = "classroom"
    FAITH = "faith"
    ONLINE = "online"
    OTHER = "other"

    @property
    def label(self) -> str:
        return VENUE_LABELS[self]


VENUE_LABELS = {
    VenueType.LIBRARY: "Library",
    VenueType.RETIREMENT: "Retirement community",
    VenueType.CLASSROOM: "Classroom",
    VenueType.FAITH: "Faith-based",
    VenueType.ONLINE: "Online",
    VenueType.OTHER: "Other",
}


class SessionStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class RsvpStatus(enum.StrEnum):
    GOING = "going"
    MAYBE = "maybe"
    DECLINED = "declined"
    # Wanted to go when the session was full: promoted, oldest first, when a seat frees.
    WAITLISTED = "waitlisted"


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
    place: Mapped[str] = mapped_column(String(200), default="", server_default="")
    venue_type: Mapped[VenueType] = mapped_column(
        enum_column(VenueType, "venue_type"),
        default=VenueType.OTHER,
        server_default=VenueType.OTHER.value,
    )
    meeting_pattern: Mapped[str] = mapped_column(String(200), default="", server_default="")

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


class GroupSession(CreatedMixin, db.Model):
    """One meeting of a group. Times are stored in UTC; ``timezone`` is the zone the organiser
    set them in, so a season keeps its local hour across daylight-saving changes."""

    __tablename__ = "group_sessions"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        Index("ix_group_sessions_group_start", "group_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    place: Mapped[str] = mapped_column(String(200), default="")
    online_url: Mapped[str] = mapped_column(String(500), default="")
    # None: no limit.
    capacity: Mapped[int | None] = mapped_column()
    agenda_md: Mapped[str] = mapped_column(Text, default="")
    agenda_html: Mapped[str] = mapped_column(Text, default="")
    questions_md: Mapped[str] = mapped_column(Text, default="")
    questions_html: Mapped[str] = mapped_column(Text, default="")
    # What the organiser writes after the session: what was said, what was decided.
    summary_md: Mapped[str] = mapped_column(Text, default="", server_default="")
    summary_html: Mapped[str] = mapped_column(Text, default="", server_default="")
    facilitator_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[SessionStatus] = mapped_column(
        enum_column(SessionStatus, "session_status"), default=SessionStatus.SCHEDULED
    )
    # Sessions scheduled together as a season share this key, so "this and every later
    # session of the season" can be changed at once and next season copied from it.
    season_key: Mapped[str | None] = mapped_column(String(32), index=True)
    # Raised on every change that calendars must pick up (RFC 5545 SEQUENCE).
    sequence: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)

    group: Mapped[Group] = relationship()
    facilitator: Mapped[User | None] = relationship()
    readings: Mapped[list[SessionReading]] = relationship(
        order_by="SessionReading.position", cascade="all, delete-orphan"
    )

    @property
    def is_cancelled(self) -> bool:
        return self.status is SessionStatus.CANCELLED

    def __repr__(self) -> str:
        return f"<GroupSession {self.id} {self.title!r}>"


class SessionReading(db.Model):
    """An article to read before a session, in the organiser's order."""

    __tablename__ = "session_readings"
    __table_args__ = (UniqueConstraint("session_id", "article_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("group_sessions.id", ondelete="CASCADE"), index=True
    )
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)

    article: Mapped[Article] = relationship("Article")


class Rsvp(CreatedMixin, db.Model):
    """One person's answer for one session, and whether they came."""

    __tablename__ = "rsvps"
    __table_args__ = (
        UniqueConstraint("session_id", "user_id"),
        Index("ix_rsvps_session_status", "session_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("group_sessions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[RsvpStatus] = mapped_column(enum_column(RsvpStatus, "rsvp_status"))
    # When the current status was chosen: the waitlist is served in this order.
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    # None until the organiser marks attendance; walk-ins get a row with attended=True.
    attended: Mapped[bool | None] = mapped_column()

    session: Mapped[GroupSession] = relationship()
    user: Mapped[User] = relationship()


class BallotStatus(enum.StrEnum):
    # Being written: the organiser may still change the questions.
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class Ballot(CreatedMixin, db.Model):
    """The opinion ballot after a session. Ballots on the same ``topic_key`` are compiled
    together across groups.

    Secrecy: who voted is kept in ``ballot_voters``; what was chosen only as counters on
    ``ballot_choices``. No row records a single vote, so nothing links a person to a choice.
    """

    __tablename__ = "ballots"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("group_sessions.id", ondelete="CASCADE"), unique=True
    )
    topic: Mapped[str] = mapped_column(String(200))
    # The topic's slug: "Climate migration" and "climate  Migration" are one topic.
    topic_key: Mapped[str] = mapped_column(String(200), index=True)
    intro: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[BallotStatus] = mapped_column(
        enum_column(BallotStatus, "ballot_status"), default=BallotStatus.DRAFT
    )
    # Optional deadline: past it the ballot counts as closed.
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # How many have voted: kept with the counters, so percentages need no count of voters.
    voter_count: Mapped[int] = mapped_column(default=0)

    session: Mapped[GroupSession] = relationship()
    questions: Mapped[list[BallotQuestion]] = relationship(
        order_by="BallotQuestion.position", cascade="all, delete-orphan"
    )

    def is_open_at(self, now: datetime) -> bool:
        return self.status is BallotStatus.OPEN and (self.closes_at is None or self.closes_at > now)

    def is_closed_at(self, now: datetime) -> bool:
        return self.status is BallotStatus.CLOSED or (
            self.status is BallotStatus.OPEN
            and self.closes_at is not None
            and self.closes_at <= now
        )


class BallotQuestion(db.Model):
    __tablename__ = "ballot_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(String(500))
    # Several choices may be ticked; otherwise exactly one.
    is_multiple: Mapped[bool] = mapped_column(default=False)

    choices: Mapped[list[BallotChoice]] = relationship(
        order_by="BallotChoice.position", cascade="all, delete-orphan"
    )


class BallotChoice(db.Model):
    __tablename__ = "ballot_choices"
    __table_args__ = (CheckConstraint("votes >= 0", name="votes_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("ballot_questions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(String(200))
    # The tally: raised by one in the voter's transaction; no row per vote exists.
    votes: Mapped[int] = mapped_column(default=0)


class BallotVoter(db.Model):
    """That someone has voted in a ballot (never what): the unique pair refuses a second
    vote, even two sent at the same moment. No time is kept, so the order of votes cannot
    be matched to anything."""

    __tablename__ = "ballot_voters"
    __table_args__ = (UniqueConstraint("ballot_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ballot_id: Mapped[int] = mapped_column(ForeignKey("ballots.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


class CalendarFeed(CreatedMixin, db.Model):
    """A person's secret calendar address: the sessions they are going to. Making a new
    one replaces the old token, so a leaked address can be cut off."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)

    user: Mapped[User] = relationship()
