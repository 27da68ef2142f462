"""A member's own data: downloading it, deleting the account, and forgetting addresses.

Deleting keeps the ``users`` row as a tombstone with no personal data in it: the posts the
member chose to keep (and the moderation log, votes and flags) still point at it and show
"Deleted member". Everything that existed only for the account is deleted with it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import escape
from sqlalchemy import delete, func, or_, select, update

from forum.accounts import permissions
from forum.accounts.models import DigestFrequency, Role, User, UserStatus
from forum.admin.settings import get_setting
from forum.core.db import utc_now
from forum.core.errors import ValidationFailed
from forum.core.mail import OutboxMessage
from forum.discussions.models import Discussion, Post, PostRevision, PostState, Vote
from forum.extensions import db
from forum.groups import permissions as group_permissions
from forum.groups import services as groups
from forum.groups.models import (
    Ballot,
    BallotVoter,
    GroupSession,
    Membership,
    Rsvp,
    RsvpStatus,
)
from forum.moderation.models import AuditEntry, Flag
from forum.notifications.models import Notification

DELETED_NAME = "Deleted member"
BALLOT_NOTE = _l(
    "Ballots are secret: this site records that you voted in a ballot, never what you "
    "chose. Your answers were added to the totals without your name, so they cannot be "
    "listed here, or by anyone."
)
# Rows that reference the account but belong to the site's record or to other people's
# threads: kept, pointing at the tombstone. Every other table with a user foreign key that
# deletes with the account holds only the member's own data and is emptied of it.
KEPT_TABLES = frozenset(
    {
        "posts",
        "post_revisions",
        "votes",
        "flags",
        "ballot_voters",
        "penalties",
        "moderation_warnings",
    }
)


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


# Export -------------------------------------------------------------------------------------


def _place(discussion: Discussion) -> dict[str, Any]:
    return {
        "discussion_id": discussion.id,
        "article": discussion.article.title if discussion.article else None,
        "group": discussion.group.name if discussion.group else None,
    }


def export_data(actor: User, user: User, now: datetime | None = None) -> dict[str, Any]:
    """Everything the member made or chose, as JSON-ready data."""
    permissions.require_export_data(actor, user)
    posts = list(
        db.session.scalars(select(Post).where(Post.author_id == user.id).order_by(Post.id))
    )
    revisions: dict[int, list[PostRevision]] = {}
    for revision in db.session.scalars(
        select(PostRevision)
        .where(PostRevision.post_id.in_([post.id for post in posts]))
        .order_by(PostRevision.id)
    ):
        revisions.setdefault(revision.post_id, []).append(revision)
    return {
        "exported_at": _when(now or utc_now()),
        "profile": {
            "id": user.id,
            "email": user.email,
            "email_verified_at": _when(user.email_verified_at),
            "username": user.username,
            "display_name": user.display_name,
            "bio": user.bio,
            "role": user.role.value,
            "status": user.status.value,
            "timezone": user.timezone,
            "language": user.language,
            "digest_frequency": user.digest_frequency.value,
            "created_at": _when(user.created_at),
            "last_seen_at": _when(user.last_seen_at),
            "last_ip": user.last_ip,
            "last_ip_at": _when(user.last_ip_at),
        },
        "posts": [
            {
                "id": post.id,
                **_place(post.discussion),
                "parent_id": post.parent_id,
                "state": post.state.value,
                "created_at": _when(post.created_at),
                "edited_at": _when(post.edited_at),
                "deleted_at": _when(post.deleted_at),
                "body_markdown": post.body_md,
                "revisions": [
                    {
                        "body_markdown": revision.body_md,
                        "written_at": _when(revision.written_at),
                        "replaced_at": _when(revision.replaced_at),
                        "by_you": revision.editor_id == user.id,
                    }
                    for revision in revisions.get(post.id, [])
                ],
            }
            for post in posts
        ],
        "votes": [
            {"post_id": vote.post_id, "created_at": _when(vote.created_at)}
            for vote in db.session.scalars(
                select(Vote).where(Vote.user_id == user.id).order_by(Vote.post_id)
            )
        ],
        "flags": [
            {
                "post_id": flag.post_id,
                "reason": flag.reason.value,
                "note": flag.note,
                "created_at": _when(flag.created_at),
                "resolved_at": _when(flag.resolved_at),
            }
            for flag in db.session.scalars(
                select(Flag).where(Flag.user_id == user.id).order_by(Flag.id)
            )
        ],
        "groups": [
            {
                "group": membership.group.name,
                "role": membership.role.value,
                "state": membership.state.value,
                "since": _when(membership.created_at),
            }
            for membership in db.session.scalars(
                select(Membership).where(Membership.user_id == user.id).order_by(Membership.id)
            )
        ],
        "rsvps": [
            {
                "session_id": rsvp.session_id,
                "session": rsvp.session.title,
                "group": rsvp.session.group.name,
                "starts_at": _when(rsvp.session.starts_at),
                "status": rsvp.status.value,
                "answered_at": _when(rsvp.answered_at),
                "attended": rsvp.attended,
            }
            for rsvp in db.session.scalars(
                select(Rsvp).where(Rsvp.user_id == user.id).order_by(Rsvp.id)
            )
        ],
        "ballots": {
            "note": str(BALLOT_NOTE),
            "voted_in": [
                {"ballot_id": ballot.id, "topic": ballot.topic, "session_id": ballot.session_id}
                for ballot in db.session.scalars(
                    select(Ballot)
                    .join(BallotVoter, BallotVoter.ballot_id == Ballot.id)
                    .where(BallotVoter.user_id == user.id)
                    .order_by(Ballot.id)
                )
            ],
        },
    }


# Deletion -----------------------------------------------------------------------------------


@dataclass
class DeletionReport:
    posts_kept: int = 0
    posts_removed: int = 0
    emails_cancelled: int = 0


def _leave_sessions(user: User, now: datetime) -> None:
    """Give up seats in sessions to come, so the first person waiting is promoted."""
    upcoming = db.session.scalars(
        select(GroupSession)
        .join(Rsvp, Rsvp.session_id == GroupSession.id)
        .where(
            Rsvp.user_id == user.id,
            Rsvp.status.in_((RsvpStatus.GOING, RsvpStatus.WAITLISTED)),
            GroupSession.ends_at > now,
        )
    )
    for session in list(upcoming):
        if group_permissions.can_rsvp(user, session, now):
            groups.respond(user, session, RsvpStatus.DECLINED, now)


def _remove_posts(user: User, now: datetime) -> int:
    """Withdraw every post's text; the placeholders keep other people's replies in place."""
    posts = list(db.session.scalars(select(Post).where(Post.author_id == user.id)))
    for post in posts:
        if post.is_published:
            post.discussion.post_count = Discussion.post_count - 1
        post.state = PostState.DELETED
        post.deleted_at = post.deleted_at or now
        post.body_md = ""
        post.body_html = ""
    ids = [post.id for post in posts]
    db.session.execute(delete(PostRevision).where(PostRevision.post_id.in_(ids)))
    return len(posts)


def _own_rows(user: User) -> None:
    """Delete the rows of every table that exist only for this account (memberships,
    notifications, preferences, calendar feeds, ...), whichever domain added the table."""
    users = db.metadata.tables["users"]
    for table in reversed(db.metadata.sorted_tables):
        if table.name in KEPT_TABLES:
            continue
        for key in table.foreign_keys:
            if key.column.table is users and key.ondelete == "CASCADE":
                db.session.execute(delete(table).where(key.parent == user.id))


def _scrub_mentions(name: str) -> None:
    """The member's name in the site's own texts about them: emails queued or sent to
    others, notification details and the moderation log's subject lines."""
    for text in {name, str(escape(name))}:
        pattern = f"%{text}%"
        for column in (
            OutboxMessage.subject,
            OutboxMessage.text_body,
            OutboxMessage.html_body,
        ):
            db.session.execute(
                update(OutboxMessage)
                .where(column.like(pattern))
                .values({column: func.replace(column, text, DELETED_NAME)})
                .execution_options(synchronize_session=False)
            )
        db.session.execute(
            update(Notification)
            .where(Notification.detail.like(pattern))
            .values(detail=func.replace(Notification.detail, text, DELETED_NAME))
            .execution_options(synchronize_session=False)
        )
        # A Core UPDATE, past the log's append-only guard on purpose: the log keeps what was
        # done and to which account, but not the person's name once they have left.
        db.session.execute(
            update(AuditEntry)
            .where(AuditEntry.subject.like(pattern))
            .values(subject=func.replace(AuditEntry.subject, text, DELETED_NAME))
            .execution_options(synchronize_session=False)
        )


def _keep_organisers(actor: User, user: User) -> None:
    """Every group keeps an organiser: the account of a group's only organiser stays until
    someone else is appointed (by the organiser, or by an administrator in the admin area)."""
    kept = groups.lock_groups_only_organised_by(user)
    if not kept:
        return
    names = ", ".join(group.name for group in kept)
    if permissions.is_self(actor, user):
        message = _(
            "You are the only organiser of %(groups)s. Make another member an organiser "
            "first (or ask an administrator to appoint one); then you can delete your account.",
            groups=names,
        )
    else:
        message = _(
            "%(name)s is the only organiser of %(groups)s. Appoint another organiser in "
            "Admin → Groups first; then the account can be deleted.",
            name=user.display_name,
            groups=names,
        )
    raise ValidationFailed(None, message)


def delete_account(
    actor: User, user: User, keep_posts: bool, now: datetime | None = None
) -> DeletionReport:
    """Delete the account: its emails stop now, its sessions end, its personal data goes.

    ``keep_posts``: the posts stay, signed "Deleted member"; otherwise their text is removed.
    Refused (ValidationFailed, naming the groups) while the member is the only organiser of
    a group that is not archived.
    """
    now = now or utc_now()
    permissions.require_delete_account(actor, user)
    _keep_organisers(actor, user)
    report = DeletionReport()
    # Emails waiting to go, and those sent (they carry the address and name), all go.
    report.emails_cancelled = db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.state.in_(("queued", "sending")), _addressed_to(user))
    )
    db.session.execute(
        delete(OutboxMessage)
        .where(_addressed_to(user))
        .execution_options(synchronize_session=False)
    )
    _leave_sessions(user, now)
    if keep_posts:
        report.posts_kept = db.session.scalar(
            select(func.count()).select_from(Post).where(Post.author_id == user.id)
        )
    else:
        report.posts_removed = _remove_posts(user, now)
    db.session.flush()
    _own_rows(user)
    _scrub_mentions(user.display_name)
    user.email = f"deleted-{user.id}@deleted.invalid"
    user.username = f"deleted-{user.id}"
    user.display_name = DELETED_NAME
    user.bio = ""
    # Not a hash of anything: no password matches it.
    user.password_hash = f"!deleted:{secrets.token_hex(16)}"
    user.role = Role.READER
    user.status = UserStatus.ACTIVE
    user.banned_until = None
    user.email_verified_at = None
    user.timezone = "UTC"
    user.language = None
    user.digest_frequency = DigestFrequency.OFF
    user.last_seen_at = None
    user.last_ip = None
    user.last_ip_at = None
    user.deleted_at = now
    # Every session and remember-me cookie names the old version: all of them end.
    user.session_version += 1
    db.session.flush()
    return report


def _addressed_to(user: User):
    return or_(
        OutboxMessage.user_id == user.id,
        func.lower(OutboxMessage.to_address) == user.email.lower(),
    )


# Addresses ----------------------------------------------------------------------------------


def purge_addresses(now: datetime | None = None, days: int | None = None) -> int:
    """Forget sign-in addresses older than the retention period; returns how many."""
    now = now or utc_now()
    days = get_setting("ip_retention_days") if days is None else days
    cutoff = now - timedelta(days=days)
    result = db.session.execute(
        update(User)
        .where(User.last_ip_at < cutoff)
        .values(last_ip=None, last_ip_at=None)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount
