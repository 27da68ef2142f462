"""Digests: who is due at ``now``, what their digest holds, and sending each exactly once.

A digest is due at 07:00 in the person's time zone (weekly ones on their chosen weekday). It
covers from the end of their previous digest to the moment it is made, so every post lands in
exactly one digest. Each period has a key ("daily:2026-11-29"); the ``digests`` row for
(person, key) is written in the same transaction as the outbox row, so a second run in the same
period, or two runs at once, never send twice. A period with nothing new gets a row and no email.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from flask import current_app
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from forum.accounts.models import DigestFrequency, User, UserStatus
from forum.core.db import utc_now
from forum.core.timefmt import zone
from forum.extensions import db
from forum.notifications import emails
from forum.notifications.models import Digest, DigestSchedule
from forum.notifications.queries import DigestContent, Window, digest_contents
from forum.notifications.services import DIGEST, unsubscribe_token

SEND_AT = time(7, 0)
CHUNK = 500
PERIODS = {DigestFrequency.DAILY: timedelta(days=1), DigestFrequency.WEEKLY: timedelta(days=7)}


def due_period(
    frequency: DigestFrequency, zone_name: str, weekday: int, now: datetime
) -> tuple[datetime, str] | None:
    """The latest 07:00 local (on ``weekday`` for weekly) at or before ``now``, and its key."""
    if frequency not in PERIODS:
        return None
    local_zone = zone(zone_name)
    today = now.astimezone(local_zone).date()
    for days_back in range(8):
        day = today - timedelta(days=days_back)
        if frequency is DigestFrequency.WEEKLY and day.weekday() != weekday:
            continue
        # Built in local time, so 07:00 stays 07:00 across a change of daylight saving time.
        due_at = datetime.combine(day, SEND_AT, tzinfo=local_zone).astimezone(UTC)
        if due_at <= now:
            return due_at, f"{frequency.value}:{day.isoformat()}"
    return None


@dataclass
class DigestOutcome:
    user: User
    period_key: str
    item_count: int
    sent: bool


def _candidates(only_email: str | None) -> list[int]:
    """The ids of everyone who takes a digest; their rows are read a chunk at a time, since
    each chunk's commit expires what was loaded before it."""
    statement = (
        select(User.id)
        .where(
            User.digest_frequency != DigestFrequency.OFF,
            User.email_verified_at.is_not(None),
            User.status == UserStatus.ACTIVE,
        )
        .order_by(User.id)
    )
    if only_email:
        statement = statement.where(func.lower(User.email) == only_email.strip().lower())
    return list(db.session.scalars(statement))


def _due_windows(users: list[User], now: datetime) -> list[tuple[Window, str]]:
    """The people of ``users`` whose current period has no digest yet, with their windows."""
    ids = [u.id for u in users]
    weekdays = dict(
        db.session.execute(
            select(DigestSchedule.user_id, DigestSchedule.weekday).where(
                DigestSchedule.user_id.in_(ids)
            )
        ).all()
    )
    previous_end = dict(
        db.session.execute(
            select(Digest.user_id, func.max(Digest.window_end))
            .where(Digest.user_id.in_(ids))
            .group_by(Digest.user_id)
        ).all()
    )
    periods = {}
    for user in users:
        due = due_period(user.digest_frequency, user.timezone, weekdays.get(user.id, 0), now)
        if due is not None:
            periods[user.id] = due
    done = set(
        db.session.execute(
            select(Digest.user_id, Digest.period_key).where(
                Digest.user_id.in_(list(periods)),
                Digest.period_key.in_(sorted({key for _, key in periods.values()})),
            )
        ).all()
    )
    due_windows = []
    for user in users:
        if user.id not in periods:
            continue
        due_at, key = periods[user.id]
        if (user.id, key) in done:
            continue
        period = PERIODS[user.digest_frequency]
        # From the previous digest on, but someone back after months without digests gets the
        # last two periods, not everything since; a first digest covers one period.
        previous = previous_end.get(user.id)
        if previous is None:
            start = max(user.created_at, due_at - period)
        else:
            start = max(previous, due_at - 2 * period)
        start = start.astimezone(UTC)
        if start >= now:
            continue
        due_windows.append((Window(user, start, now), key))
    return due_windows


def _queue(window: Window, key: str, content: DigestContent, now: datetime) -> dict:
    """Queue the digest's email when there is something to tell; returns the period's
    digest row, written with the chunk's others in one statement."""
    message = None
    if content.item_count:
        token = unsubscribe_token(window.user, DIGEST)
        message = emails.queue_digest_email(window.user, key, content, token, now=now)
    return {
        "user_id": window.user.id,
        "period_key": key,
        "window_start": window.start,
        "window_end": window.end,
        "item_count": content.item_count,
        "outbox_message_id": message.id if message else None,
        "created_at": now,
    }


def send_due_digests(
    now: datetime | None = None,
    *,
    dry_run: bool = False,
    only_email: str | None = None,
    progress: Callable[[DigestOutcome], None] | None = None,
    count_due: Callable[[int], None] | None = None,
) -> list[DigestOutcome]:
    """Queue every digest due at ``now``, a chunk of people per transaction.

    The reads cost the same handful of queries per chunk however many people it holds. One
    person's email failing to render skips that person (they are due again next run); a chunk
    that meets another run's rows is rolled back whole and left to that run.
    """
    now = now or utc_now()
    user_ids = _candidates(only_email)
    outcomes: list[DigestOutcome] = []
    for offset in range(0, len(user_ids), CHUNK):
        chunk_ids = user_ids[offset : offset + CHUNK]
        users = db.session.scalars(select(User).where(User.id.in_(chunk_ids)).order_by(User.id))
        due = _due_windows(list(users), now)
        if count_due:
            count_due(len(due))
        contents = digest_contents([window for window, _ in due])
        chunk: list[DigestOutcome] = []
        rows: list[dict] = []
        try:
            for window, key in due:
                content = contents[window.user.id]
                sent = False
                if not dry_run:
                    try:
                        row = _queue(window, key, content, now)
                    except IntegrityError:
                        raise
                    except Exception:  # noqa: BLE001 - one person's failure stays theirs
                        current_app.logger.exception("Digest for user %s failed", window.user.id)
                        continue
                    rows.append(row)
                    sent = row["outbox_message_id"] is not None
                outcome = DigestOutcome(window.user, key, content.item_count, sent)
                chunk.append(outcome)
                if progress:
                    progress(outcome)
            if not dry_run:
                if rows:
                    # Plain rows in one statement: as ORM objects each would be flushed
                    # with the next person's email, a unit of work per person.
                    db.session.execute(insert(Digest), rows)
                db.session.commit()
        except IntegrityError:
            # Another run recorded some of these periods first; the rest are due next run.
            db.session.rollback()
            continue
        outcomes.extend(chunk)
    return outcomes


def preview(user: User, now: datetime | None = None) -> DigestContent:
    """What the person's next digest would hold if it were made now."""
    now = now or utc_now()
    start = db.session.scalar(select(func.max(Digest.window_end)).where(Digest.user_id == user.id))
    if start is None:
        frequency = user.digest_frequency
        start = now - PERIODS.get(frequency, timedelta(days=1))
    return digest_contents([Window(user, start.astimezone(UTC), now)])[user.id]
