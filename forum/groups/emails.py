"""What groups tell people: join requests, sessions, seats and reminders.

Each is a notification (``forum.notifications.services.notify``): a line in the person's
on-site list, and an email with the group's own template when they want that kind by email,
with the one-click unsubscribe of every notification email. The invitation alone goes
straight to the outbox: it is addressed to an email address that may have no account yet.
Everything is queued in the caller's transaction (sent after its commit).

Paths are built from the stable URLs in DESIGN.md: services run outside requests too (the
command line, jobs), where ``url_for`` has no request to build from.

Each person's line and the session's time are written in that person's language (their
account's choice, as their emails are), not in the language of whoever caused them: a French
organiser's new session reaches English members in English.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from functools import cache
from urllib.parse import quote

from babel.dates import get_day_names, get_month_names
from flask_babel import gettext as _
from sqlalchemy import select

from forum.accounts.models import User
from forum.core.db import utc_now
from forum.core.i18n import current_language
from forum.core.mail import in_language_of, queue_email
from forum.core.timefmt import local
from forum.extensions import db
from forum.groups.models import (
    Group,
    GroupSession,
    Membership,
    MemberState,
    Rsvp,
    RsvpStatus,
)
from forum.notifications.models import AnnouncedSession, Kind, Notification
from forum.notifications.services import email_wishes, notify

# The answers of the people a change of time or place concerns.
ANSWERED = (RsvpStatus.GOING, RsvpStatus.MAYBE, RsvpStatus.WAITLISTED)


def _group_path(group: Group) -> str:
    return f"/groups/{quote(group.slug)}"


def _session_path(session: GroupSession) -> str:
    return f"{_group_path(session.group)}/sessions/{session.id}"


@cache
def _names(language: str) -> tuple[dict, dict]:
    """Weekdays (0 is Monday) and months in ``language``."""
    return dict(get_day_names("wide", locale=language)), dict(
        get_month_names("wide", locale=language)
    )


def _when(session: GroupSession, user: User) -> str:
    """The session's start in the recipient's zone (the group's zone beside it if another),
    in the current language: "Thursday 7 March 2030, 19:00 GMT"."""
    days, months = _names(current_language())
    shown = local(session.starts_at, user.timezone)
    text = (
        f"{days[shown.weekday()]} {shown.day} {months[shown.month]} {shown.year}, "
        f"{shown:%H:%M} {shown.tzname()}"
    )
    there = local(session.starts_at, session.timezone)
    if (there.tzname(), there.utcoffset()) != (shown.tzname(), shown.utcoffset()):
        text += " " + _(
            "(%(time)s %(zone)s where the group meets)",
            time=f"{there:%H:%M}",
            zone=there.tzname(),
        )
    return text


def _about_session(
    users: list[User],
    kind: Kind,
    session: GroupSession,
    template: str,
    line: Callable[[str], str],
    now: datetime | None,
    **context,
) -> list[Notification]:
    """Tell each of ``users`` about ``session``: ``line(when)`` (the time in their zone) on
    the site, ``template`` by email. Their email choices are read at once for all of them."""
    wishes = email_wishes([u.id for u in users], kind)
    made = []
    for user in users:
        with in_language_of(user.id):
            when = _when(session, user)
            detail = line(when)
        note = notify(
            user,
            kind,
            session=session,
            detail=detail,
            now=now,
            by_email=wishes[user.id],
            email_template=template,
            email_context={
                "session": session,
                "when": when,
                "path": _session_path(session),
                **context,
            },
        )
        if note is not None:
            made.append(note)
    return made


# Membership --------------------------------------------------------------------------------


def queue_join_request(organiser: User, group: Group, requester: User) -> None:
    with in_language_of(organiser.id):
        line = _("%(name)s asks to join %(group)s.", name=requester.display_name, group=group.name)
    notify(
        organiser,
        Kind.JOIN_REQUEST,
        actor=requester,
        group=group,
        detail=line,
        email_template="groups/join_request",
        email_context={
            "group": group,
            "requester": requester,
            "path": f"{_group_path(group)}/members",
        },
    )


def queue_request_answered(user: User, group: Group, approved: bool) -> None:
    with in_language_of(user.id):
        if approved:
            line = _("Your request to join %(group)s was approved. Welcome!", group=group.name)
        else:
            line = _("An organiser of %(group)s declined your request to join.", group=group.name)
    notify(
        user,
        Kind.JOIN_ANSWERED,
        group=group,
        detail=line,
        email_template="groups/request_answered",
        email_context={"group": group, "approved": approved, "path": _group_path(group)},
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


# Sessions ----------------------------------------------------------------------------------


def _fingerprint(session: GroupSession) -> str:
    """What people plan around: the time, the place and the readings."""
    parts = [
        session.starts_at.isoformat(),
        session.ends_at.isoformat(),
        session.place,
        session.online_url,
        ",".join(str(reading.article_id) for reading in session.readings),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _announce(session: GroupSession) -> bool:
    """Record what the members were told of ``session``; False if they know it already."""
    fingerprint = _fingerprint(session)
    row = db.session.get(AnnouncedSession, session.id)
    if row is None:
        db.session.add(AnnouncedSession(session_id=session.id, fingerprint=fingerprint))
    elif row.fingerprint == fingerprint:
        return False
    else:
        row.fingerprint = fingerprint
    return True


def queue_session_scheduled(
    actor: User | None, session: GroupSession, now: datetime | None = None
) -> list[Notification]:
    """The group's active members (but whoever scheduled it) hear of a new session."""
    _announce(session)
    members = select(User).join(Membership, Membership.user_id == User.id)
    members = members.where(
        Membership.group_id == session.group_id, Membership.state == MemberState.ACTIVE
    )
    if actor is not None:
        members = members.where(User.id != actor.id)
    return _about_session(
        list(db.session.scalars(members.order_by(User.id))),
        Kind.SESSION_SCHEDULED,
        session,
        "groups/session_scheduled",
        lambda when: _(
            "New session of %(group)s: “%(title)s”, %(when)s.",
            group=session.group.name,
            title=session.title,
            when=when,
        ),
        now,
    )


def queue_session_changed(session: GroupSession, now: datetime | None = None) -> list:
    """After an edit: if the time, place or readings moved, everyone who answered (going,
    maybe, waiting for a seat) hears the session as it is now. Other edits tell nobody."""
    if session.is_cancelled or not _announce(session):
        return []
    people = list(
        db.session.scalars(
            select(User)
            .join(Rsvp, Rsvp.user_id == User.id)
            .where(Rsvp.session_id == session.id, Rsvp.status.in_(ANSWERED))
            .order_by(User.id)
        )
    )
    return _about_session(
        people,
        Kind.SESSION_CHANGED,
        session,
        "groups/session_changed",
        lambda when: _(
            "“%(title)s” of %(group)s changed: now %(when)s.",
            title=session.title,
            group=session.group.name,
            when=when,
        ),
        now or utc_now(),
    )


def queue_session_cancelled(
    user: User, session: GroupSession, reason: str, now: datetime | None = None
) -> None:
    def line(when: str) -> str:
        said = _(
            "“%(title)s” of %(group)s on %(when)s is cancelled.",
            title=session.title,
            group=session.group.name,
            when=when,
        )
        return f"{said} {reason}" if reason else said

    _about_session(
        [user],
        Kind.SESSION_CANCELLED,
        session,
        "groups/session_cancelled",
        line,
        now,
        reason=reason,
    )


def queue_promoted(user: User, session: GroupSession, now: datetime | None = None) -> None:
    _about_session(
        [user],
        Kind.WAITLIST_PROMOTED,
        session,
        "groups/promoted",
        lambda when: _(
            "A seat freed up: you are going to “%(title)s” of %(group)s, %(when)s.",
            title=session.title,
            group=session.group.name,
            when=when,
        ),
        now,
    )


def queue_reminder(
    user: User, session: GroupSession, now: datetime | None = None
) -> Notification | None:
    """The day-before reminder with the readings, once per person and session (None if they
    have had it: the notification's key holds across runs and workers)."""
    titles = ", ".join(reading.article.title for reading in session.readings)
    with in_language_of(user.id):
        when = _when(session, user)
        line = _(
            "Tomorrow: “%(title)s” of %(group)s, %(when)s.",
            title=session.title,
            group=session.group.name,
            when=when,
        )
        if titles:
            line += " " + _("Readings: %(titles)s.", titles=titles)
    return notify(
        user,
        Kind.SESSION_REMINDER,
        session=session,
        detail=line,
        once_key=f"session-reminder:{session.id}:{user.id}",
        now=now,
        email_template="groups/reminder",
        email_context={"session": session, "when": when, "path": _session_path(session)},
    )
