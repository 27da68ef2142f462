"""The rules of notifications: who hears of what, on the site and by email, and how to stop.

Services flush and never commit. Emails are queued in the outbox in the caller's transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from flask import current_app
from flask_babel import LazyString, format_number, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update

from forum.accounts.models import DigestFrequency, User
from forum.core.db import utc_now
from forum.core.errors import ValidationFailed
from forum.core.mail import (
    OUTBOX_QUEUED,
    OutboxMessage,
    OutboxState,
    in_language_of,
    queue_email,
)
from forum.core.timefmt import local, spoken_time
from forum.discussions.models import Follow, Post
from forum.discussions.permissions import can_view_post
from forum.extensions import db
from forum.groups.models import (
    Ballot,
    Group,
    GroupSession,
)
from forum.groups.queries import ballots_awaiting_votes
from forum.moderation.permissions import can_moderate
from forum.notifications import emails, permissions, queries
from forum.notifications.models import (
    DigestSchedule,
    EmailPreference,
    Kind,
    Notification,
    QueueAlert,
)

UNSUBSCRIBE_SALT = "forum.notifications.unsubscribe"
# The token's "what" for the digest; any other value is a notification kind.
DIGEST = "digest"
QUEUE_THRESHOLD_MAX = 10_000
MENTION = re.compile(r"(?<![\w@/])@([a-z0-9][a-z0-9-]{0,39})", re.IGNORECASE)


@dataclass(frozen=True)
class KindInfo:
    # Read in the language of whoever it is shown to (a page's reader, an email's recipient).
    label: LazyString
    # Emailed unless the person turned it off.
    email_default: bool
    # Offered only to people with a moderation queue.
    for_moderators: bool = False


KINDS: dict[str, KindInfo] = {
    Kind.REPLY: KindInfo(_l("A reply to one of my posts"), True),
    Kind.MENTION: KindInfo(_l("Someone mentions me (@name)"), True),
    Kind.FOLLOWED_POST: KindInfo(_l("A new post in a discussion I follow"), False),
    Kind.POST_HELD: KindInfo(_l("My post is held for review"), True),
    Kind.POST_APPROVED: KindInfo(_l("My held post is approved"), True),
    Kind.POST_REJECTED: KindInfo(_l("My post is rejected"), True),
    Kind.JOIN_REQUEST: KindInfo(_l("Someone asks to join a group I organise"), True),
    Kind.JOIN_ANSWERED: KindInfo(_l("My request to join a group is answered"), True),
    # Off by default: a season is a dozen sessions at once, the digest lists the coming week's
    # and the reminder comes the day before.
    Kind.SESSION_SCHEDULED: KindInfo(_l("A session is scheduled in one of my groups"), False),
    Kind.SESSION_CHANGED: KindInfo(_l("A session I answered moves (time or place)"), True),
    Kind.SESSION_CANCELLED: KindInfo(_l("A session I answered is cancelled"), True),
    Kind.WAITLIST_PROMOTED: KindInfo(_l("A seat frees up for me at a full session"), True),
    Kind.SESSION_REMINDER: KindInfo(
        _l("The day before a session I go to, with its readings"), True
    ),
    Kind.BALLOT_OPENED: KindInfo(_l("A ballot opens for a session I went to"), True),
    Kind.BALLOT_CLOSING: KindInfo(_l("A ballot I have not answered closes within a day"), True),
    Kind.QUEUE_GROWN: KindInfo(
        _l("The moderation queue reaches my alert threshold"), True, for_moderators=True
    ),
}


class UnsubscribeRefused(ValueError):
    """The link is not one of ours (tampered with or cut short)."""


# Preferences ------------------------------------------------------------------------------


def wants_email(user: User, kind: str) -> bool:
    row = db.session.get(EmailPreference, {"user_id": user.id, "kind": str(kind)})
    if row is not None:
        return row.by_email
    info = KINDS.get(kind)
    return info.email_default if info else True


def email_wishes(user_ids: list[int], kind: str) -> dict[int, bool]:
    """Whether each person wants ``kind`` by email, read at once for all of them."""
    chosen = dict(
        db.session.execute(
            select(EmailPreference.user_id, EmailPreference.by_email).where(
                EmailPreference.user_id.in_(user_ids), EmailPreference.kind == str(kind)
            )
        ).all()
    )
    default = KINDS[kind].email_default
    return {user_id: chosen.get(user_id, default) for user_id in user_ids}


def kinds_for(user: User) -> dict[str, KindInfo]:
    """The kinds of notification ``user`` can receive (the queue alert only with a queue)."""
    moderates = can_moderate(user)
    return {kind: info for kind, info in KINDS.items() if moderates or not info.for_moderators}


def email_choices(user: User) -> dict[str, bool]:
    """Every kind the person can receive, with their choice (or its default)."""
    rows = db.session.scalars(select(EmailPreference).where(EmailPreference.user_id == user.id))
    chosen = {row.kind: row.by_email for row in rows}
    return {kind: chosen.get(kind, info.email_default) for kind, info in kinds_for(user).items()}


def set_email_preference(actor: User, user: User, kind: str, by_email: bool) -> None:
    permissions.require_manage_preferences(actor, user)
    if kind not in KINDS:
        raise ValidationFailed(None, _("There is no such kind of email."))
    row = db.session.get(EmailPreference, {"user_id": user.id, "kind": str(kind)})
    if row is None:
        db.session.add(EmailPreference(user_id=user.id, kind=str(kind), by_email=by_email))
    else:
        row.by_email = by_email
    db.session.flush()


def queue_alert_threshold(user: User) -> int | None:
    row = db.session.get(QueueAlert, user.id)
    return row.threshold if row else None


def set_queue_alert(actor: User, user: User, threshold: int | None) -> None:
    """Alert ``user`` when their moderation queue holds ``threshold`` items (None: never)."""
    permissions.require_manage_preferences(actor, user)
    row = db.session.get(QueueAlert, user.id)
    if threshold is None:
        if row is not None:
            db.session.delete(row)
    else:
        if not can_moderate(user):
            raise ValidationFailed("queue_threshold", _("Only moderators have a queue to watch."))
        if not 1 <= threshold <= QUEUE_THRESHOLD_MAX:
            raise ValidationFailed(
                "queue_threshold",
                _("Choose a number from 1 to %(max)s.", max=format_number(QUEUE_THRESHOLD_MAX)),
            )
        if row is None:
            db.session.add(QueueAlert(user_id=user.id, threshold=threshold))
        else:
            row.threshold = threshold
    db.session.flush()


def digest_weekday(user: User) -> int:
    row = db.session.get(DigestSchedule, user.id)
    return row.weekday if row else 0


def set_digest_weekday(actor: User, user: User, weekday: int) -> None:
    permissions.require_manage_preferences(actor, user)
    if weekday not in range(7):
        raise ValidationFailed("digest_weekday", _("Choose a day of the week."))
    row = db.session.get(DigestSchedule, user.id)
    if row is None:
        db.session.add(DigestSchedule(user_id=user.id, weekday=weekday))
    else:
        row.weekday = weekday
    db.session.flush()


# Unsubscribe ------------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(user: User, what: str) -> str:
    """A link that needs no login and does not expire: it can only ever turn email off."""
    return _serializer().dumps([user.id, str(what)])


def read_unsubscribe_token(token: str) -> tuple[User, str]:
    try:
        user_id, what = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        raise UnsubscribeRefused(_("This unsubscribe link is not valid.")) from None
    user = db.session.get(User, user_id)
    if user is None or (what != DIGEST and what not in KINDS):
        raise UnsubscribeRefused(_("This unsubscribe link is no longer valid."))
    return user, what


def describe_subscription(what: str) -> str:
    if what == DIGEST:
        return _("the email digest")
    return _("emails for “%(kind)s”", kind=KINDS[what].label.lower())


def unsubscribe(token: str) -> tuple[User, str]:
    """Turn off what the token names; doing it twice changes nothing."""
    user, what = read_unsubscribe_token(token)
    if what == DIGEST:
        user.digest_frequency = DigestFrequency.OFF
        db.session.flush()
    else:
        set_email_preference(user, user, what, False)
    return user, what


# Notifying --------------------------------------------------------------------------------


def notify(
    user: User,
    kind: str,
    *,
    actor: User | None = None,
    post: Post | None = None,
    group: Group | None = None,
    session: GroupSession | None = None,
    detail: str = "",
    once_key: str | None = None,
    now: datetime | None = None,
    by_email: bool | None = None,
    email_template: str | None = None,
    email_context: dict | None = None,
) -> Notification | None:
    """Tell ``user`` on the site, and by email when they want this kind by email
    (``by_email``, when the caller has already read their choice).

    Other domains call this for their own kinds (moderation: held, approved, rejected with
    ``detail`` as the reason; groups: join requests and sessions, ``detail`` being the line
    shown on the site and ``email_template`` with ``email_context`` their own email). With a
    ``once_key`` a second call for the same key does nothing and returns None.
    """
    now = now or utc_now()
    if once_key is not None and db.session.scalar(
        select(Notification.id).where(Notification.once_key == once_key)
    ):
        return None
    if session is not None and group is None:
        group = session.group
    notification = Notification(
        user_id=user.id,
        kind=str(kind),
        actor_id=actor.id if actor else None,
        post_id=post.id if post else None,
        discussion_id=post.discussion_id if post else None,
        group_id=group.id if group else None,
        session_id=session.id if session else None,
        detail=detail,
        once_key=once_key,
        created_at=now,
    )
    db.session.add(notification)
    db.session.flush()
    if by_email is None:
        by_email = wants_email(user, kind)
    if user.is_verified and by_email:
        emails.queue_notification_email(
            notification,
            unsubscribe_token(user, kind),
            now=now,
            user=user,
            template=email_template,
            **(email_context or {}),
        )
    return notification


def mentioned_usernames(markdown: str) -> set[str]:
    return {name.lower() for name in MENTION.findall(markdown)}


def _recipients_of_post(post: Post, author_id: int) -> dict[int, str]:
    """Who hears of a new post and as what: a reply beats a mention, which beats a follow."""
    recipients: dict[int, str] = {}
    names = mentioned_usernames(post.body_md)
    if names:
        for user_id in db.session.scalars(select(User.id).where(User.username.in_(sorted(names)))):
            recipients[user_id] = Kind.MENTION
    follower_ids = db.session.scalars(
        select(Follow.user_id).where(Follow.discussion_id == post.discussion_id)
    )
    for user_id in follower_ids:
        recipients.setdefault(user_id, Kind.FOLLOWED_POST)
    if post.parent_id is not None:
        parent_author = db.session.scalar(select(Post.author_id).where(Post.id == post.parent_id))
        if parent_author is not None:
            recipients[parent_author] = Kind.REPLY
    recipients.pop(author_id, None)
    return recipients


def notify_post_published(post: Post, now: datetime | None = None) -> list[Notification]:
    """A post is visible to everyone: its parent's author, the people it mentions and the
    discussion's followers hear of it, each once and only if they can see it."""
    if not post.is_published:
        return []
    recipients = _recipients_of_post(post, post.author_id)
    if not recipients:
        return []
    users = db.session.scalars(select(User).where(User.id.in_(list(recipients)))).all()
    already = set(
        db.session.scalars(
            select(Notification.user_id).where(
                Notification.post_id == post.id, Notification.user_id.in_(list(recipients))
            )
        )
    )
    # Everyone's choices in one read, however many followers the discussion has.
    chosen = {
        (row.user_id, row.kind): row.by_email
        for row in db.session.scalars(
            select(EmailPreference).where(EmailPreference.user_id.in_(list(recipients)))
        )
    }
    made = []
    for user in sorted(users, key=lambda u: u.id):
        if user.id in already or user.is_banned(now) or not can_view_post(user, post):
            continue
        kind = recipients[user.id]
        by_email = chosen.get((user.id, str(kind)), KINDS[kind].email_default)
        made.append(notify(user, kind, actor=post.author, post=post, now=now, by_email=by_email))
    return made


# Sweeps run by the worker ------------------------------------------------------------------

# A ballot's "closes soon" notice comes this long before its deadline.
BALLOT_CLOSING_NOTICE = timedelta(hours=24)


def send_queue_alerts(now: datetime | None = None) -> list[Notification]:
    """Alert each moderator whose queue holds at least their threshold: at most once a day
    (their local date is in the notification's key, so reruns and two workers add nothing)."""
    now = now or utc_now()
    rows = db.session.execute(
        select(User, QueueAlert.threshold)
        .join(QueueAlert, QueueAlert.user_id == User.id)
        .order_by(User.id)
    ).all()
    users = [user for user, _ in rows]
    sizes = queries.queue_sizes(users, queries.memberships_of([u.id for u in users]))
    made = []
    for user, threshold in rows:
        size = sizes.get(user.id)
        if size is None or size < threshold:
            continue
        day = local(now, user.timezone).date().isoformat()
        # The line on the site is stored: written once, in the moderator's language.
        with in_language_of(user.id):
            detail = ngettext(
                "%(num)d post waits in your moderation queue (your alert is set at %(threshold)d).",
                "%(num)d posts wait in your moderation queue (your alert is set at %(threshold)d).",
                size,
                threshold=threshold,
            )
        note = notify(
            user,
            Kind.QUEUE_GROWN,
            detail=detail,
            once_key=f"queue-alert:{user.id}:{day}",
            now=now,
        )
        if note is not None:
            made.append(note)
    return made


def _ballot_email(ballot: Ballot, user: User) -> dict:
    session = ballot.session
    closes = None
    if ballot.closes_at is not None:
        closes = spoken_time(ballot.closes_at, user.timezone)
    path = f"/groups/{quote(session.group.slug)}/sessions/{session.id}/ballot"
    return {"ballot": ballot, "session": session, "closes": closes, "path": path}


def notify_ballots(now: datetime | None = None) -> list[Notification]:
    """Tell the people who may vote in an open ballot (members who said they were going to
    its session, or came) that it is open, and a day before its deadline that it closes, if
    they have not voted. Each notice once per person and ballot; the closing notice only to
    those who heard of the opening more than a day before the deadline."""
    now = now or utc_now()
    waiting = ballots_awaiting_votes(None, now)
    people = {
        user.id: user
        for user in db.session.scalars(
            select(User).where(User.id.in_({user_id for _, user_id in waiting}))
        )
    }
    rows = [(ballot, people[user_id]) for ballot, user_id in waiting]
    if not rows:
        return []
    keys = [f"ballot-{what}:{b.id}:{u.id}" for b, u in rows for what in ("opened", "closing")]
    told = dict(
        db.session.execute(
            select(Notification.once_key, Notification.created_at).where(
                Notification.once_key.in_(keys)
            )
        ).all()
    )
    user_ids = sorted({u.id for _, u in rows})
    wishes = {
        kind: email_wishes(user_ids, kind) for kind in (Kind.BALLOT_OPENED, Kind.BALLOT_CLOSING)
    }
    made = []
    for ballot, user in rows:
        opened_key = f"ballot-opened:{ballot.id}:{user.id}"
        closing_key = f"ballot-closing:{ballot.id}:{user.id}"
        context = _ballot_email(ballot, user)
        if opened_key not in told:
            kind, key = Kind.BALLOT_OPENED, opened_key
        elif (
            ballot.closes_at is not None
            and closing_key not in told
            and ballot.closes_at <= now + BALLOT_CLOSING_NOTICE
            and told[opened_key] < ballot.closes_at - BALLOT_CLOSING_NOTICE
        ):
            kind, key = Kind.BALLOT_CLOSING, closing_key
        else:
            continue
        names = {"title": ballot.session.title, "group": ballot.session.group.name}
        # The line on the site is stored: written once, in the member's language.
        with in_language_of(user.id):
            if kind == Kind.BALLOT_OPENED:
                line = _(
                    "The ballot on “%(title)s” of %(group)s is open: say what you think.", **names
                )
            else:
                line = _(
                    "The ballot on “%(title)s” of %(group)s closes soon and you have not voted.",
                    **names,
                )
            if context["closes"]:
                line += " " + _("It closes %(closes)s.", closes=context["closes"])
        note = notify(
            user,
            kind,
            session=ballot.session,
            detail=line,
            once_key=key,
            now=now,
            by_email=wishes[kind][user.id],
            email_template=f"groups/{kind}",
            email_context=context,
        )
        if note is not None:
            made.append(note)
    return made


# Reading ----------------------------------------------------------------------------------


def mark_read(actor: User, notification_ids: list[int] | None, now: datetime | None = None) -> int:
    """Mark the actor's notifications read (all of them when ``notification_ids`` is None)."""
    statement = update(Notification).where(
        Notification.user_id == actor.id, Notification.read_at.is_(None)
    )
    if notification_ids is not None:
        statement = statement.where(Notification.id.in_(notification_ids))
    result = db.session.execute(
        statement.values(read_at=now or utc_now()).execution_options(synchronize_session=False)
    )
    db.session.flush()
    return result.rowcount or 0


# The outbox, for administrators ------------------------------------------------------------


def queue_test_email(actor: User, to: str) -> OutboxMessage:
    permissions.require_view_mail_status(actor)
    return queue_email(to, "notifications/test", sent_by=actor.display_name)


def retry_message(actor: User, message: OutboxMessage, now: datetime | None = None) -> None:
    """Send a failed (or waiting) message again at the next round, attempts counted afresh."""
    permissions.require_view_mail_status(actor)
    if message.state in (OutboxState.FAILED, OutboxState.QUEUED):
        message.state = OutboxState.QUEUED
        message.attempts = 0
        message.next_attempt_at = now or utc_now()
        db.session.flush()
        db.session.info[OUTBOX_QUEUED] = True
