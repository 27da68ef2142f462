"""What /healthz and ``forum doctor`` both look at: the database, the queue, the outbox and
the worker's heartbeat.

The heartbeat lives in the job queue's own storage (the SQLite file in the instance, or Redis),
which every worker and every web instance already share, so no table is needed for it.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime

from flask import Flask
from sqlalchemy import func, select, text

from forum.core.db import utc_now
from forum.core.mail import OutboxMessage, OutboxState
from forum.extensions import db

HEARTBEAT_KEY = "forum.worker-heartbeat"
# Unsent mail older than this means the worker is not keeping up (or not running).
OUTBOX_MAX_AGE_SECONDS = 15 * 60
# The worker beats every minute; a few missed beats mean it has stopped.
HEARTBEAT_MAX_AGE_SECONDS = 5 * 60


def error_name(error: Exception) -> str:
    return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}".strip(": ")


def check_database() -> str | None:
    """None when the database answers, else what went wrong."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure means unhealthy
        db.session.rollback()
        return error_name(error)
    return None


def _huey(app: Flask):
    from forum.notifications.jobs import get_huey

    return get_huey(app)


def check_queue(app: Flask) -> str | None:
    """None when the job queue's storage answers, else what went wrong."""
    try:
        _huey(app).storage.queue_size()
    except Exception as error:  # noqa: BLE001 - any failure means the queue is unreachable
        return error_name(error)
    return None


@dataclass
class OutboxBacklog:
    unsent: int
    oldest_unsent_at: datetime | None

    def age_seconds(self, now: datetime) -> int | None:
        if self.oldest_unsent_at is None:
            return None
        return max(int((now - self.oldest_unsent_at).total_seconds()), 0)


def outbox_backlog() -> OutboxBacklog:
    """Emails queued or being sent, and when the oldest of them was queued."""
    count, oldest = db.session.execute(
        select(func.count(OutboxMessage.id), func.min(OutboxMessage.created_at)).where(
            OutboxMessage.state.in_((OutboxState.QUEUED, OutboxState.SENDING))
        )
    ).one()
    return OutboxBacklog(unsent=count, oldest_unsent_at=oldest)


def record_heartbeat(app: Flask, now: datetime | None = None) -> None:
    """Called by the worker every minute (and when it starts)."""
    beat = {"at": (now or utc_now()).isoformat(), "by": f"{socket.gethostname()}:{os.getpid()}"}
    _huey(app).put(HEARTBEAT_KEY, beat)


def last_heartbeat(app: Flask) -> tuple[datetime, str] | None:
    """When a worker last beat, and which (host:pid); None when none ever has."""
    beat = _huey(app).get(HEARTBEAT_KEY, peek=True)
    if not beat:
        return None
    return datetime.fromisoformat(beat["at"]), beat["by"]
