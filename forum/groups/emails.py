"""The emails groups send, queued in the caller's transaction (sent after its commit).

Paths are built from the stable URLs in DESIGN.md: services run outside requests too (the
command line, jobs), where ``url_for`` has no request to build from.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from sqlalchemy import select

from forum.accounts.models import User
from forum.core.mail import OutboxMessage, queue_email
from forum.core.timefmt import local
from forum.extensions import db
from forum.groups.models import Group, GroupSession


def _group_path(group: Group) -> str:
    return f"/groups/{quote(group.slug)}"


def _session_path(session: GroupSession) -> str:
    return f"{_group_path(session.group)}/sessions/{session.id}"


def _when(session: GroupSession, user: User) -> str:
    """The session's start in the recipient's zone (the group's zone beside it if another)."""
    shown = local(session.starts_at, user.timezone)
    text = f"{shown:%A %-d %B %Y, %H:%M} {shown.tzname()}"
    there = local(session.starts_at, session.timezone)
    if (there.tzname(), there.utcoffset()) != (shown.tzname(), shown.utcoffset()):
        text += f" ({there:%H:%M} {there.tzname()} where the group meets)"
    return text


def queue_join_request(organiser: User, group: Group, requester: User) -> None:
    queue_email(
        organiser.email,
        "groups/join_request",
        user_id=organiser.id,
        user=organiser,
        group=group,
        requester=requester,
        path=f"{_group_path(group)}/members",
    )


def queue_request_answered(user: User, group: Group, approved: bool) -> None:
    queue_email(
        user.email,
        "groups/request_answered",
        user_id=user.id,
        user=user,
        group=group,
        approved=approved,
        path=_group_path(group),
    )


def queue_invitation(
    email: str,
    group: Group,
    inviter: User | None,
    token: str,
    valid_days: int,
    now: datetime | None = None,
) -> None:
    queue_email(
        email,
        "groups/invitation",
        group=group,
        inviter=inviter,
        valid_days=valid_days,
        path=f"/groups/invitations/{token}",
        now=now,
    )


def queue_session_cancelled(
    user: User, session: GroupSession, reason: str, now: datetime | None = None
) -> None:
    queue_email(
        user.email,
        "groups/session_cancelled",
        user_id=user.id,
        user=user,
        session=session,
        when=_when(session, user),
        reason=reason,
        path=_session_path(session),
        now=now,
    )


def queue_promoted(user: User, session: GroupSession, now: datetime | None = None) -> None:
    queue_email(
        user.email,
        "groups/promoted",
        user_id=user.id,
        user=user,
        session=session,
        when=_when(session, user),
        path=_session_path(session),
        now=now,
    )


def queue_reminder(
    user: User, session: GroupSession, now: datetime | None = None
) -> OutboxMessage | None:
    """The day-before reminder, once per person and session (None if already queued)."""
    key = f"session-reminder:{session.id}:{user.id}"
    if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)):
        return None
    return queue_email(
        user.email,
        "groups/reminder",
        user_id=user.id,
        idempotency_key=key,
        user=user,
        session=session,
        when=_when(session, user),
        path=_session_path(session),
        now=now,
    )
