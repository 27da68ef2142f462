"""The one mailer: every email is a pair of templates, first a row in the outbox, then sent.

``templates/emails/<domain>/<name>.txt`` sets ``subject`` and holds the text part;
``<name>.html`` beside it holds the HTML part. Both get the same context plus ``base_url``.

``queue_email`` renders the message in its recipient's language (their account's choice, or
English for an address without an account or a member who chose none), whichever request or
job sends it, and adds an outbox row in the caller's transaction, so
an email exists exactly when its cause was committed. ``send_due`` (run by ``forum worker``
and ``forum mail send``) sends the rows through FORUM_MAIL_URL's backend. Each row is claimed
with an atomic ``UPDATE ... WHERE state = 'queued'`` and committed before it is sent, so two
workers never send the same row; it is marked sent right after the server accepts it. A worker
killed mid-send leaves at most the one row it was sending as "sending"; after the claim's lease
that row is queued again and sent with the same Message-ID, which mail clients use to drop a
copy should the server have taken it just before the kill.
"""

from __future__ import annotations

import enum
import json
import os
import smtplib
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid
from functools import cache

from flask import current_app, has_app_context
from flask_babel import force_locale
from flask_mailman import EmailMultiAlternatives
from sqlalchemy import ForeignKey, Index, String, Text, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from forum.core.db import CreatedMixin, UTCDateTime, enum_column, utc_now
from forum.core.i18n import DEFAULT, is_language
from forum.extensions import db

# Rows a session has queued; after its commit the sender is woken (see _wake_sender).
OUTBOX_QUEUED = "forum.outbox-queued"
# Called after a commit that queued mail; the jobs module sets it (a huey task).
WAKE_SENDER = "forum.outbox-wake"


class OutboxState(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(CreatedMixin, db.Model):
    """One email, rendered when it was queued, with its delivery history."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    # The recipient's account, when there is one (admins look messages up by person).
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    template: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    # Extra headers as a JSON object (List-Unsubscribe and its companion).
    headers_json: Mapped[str] = mapped_column(Text, default="{}")
    # Fixed when queued, so a resend after a crash is recognisably the same message.
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    # Set by senders that must never queue the same email twice (digests: user and period).
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    state: Mapped[OutboxState] = mapped_column(
        enum_column(OutboxState, "outbox_state"), default=OutboxState.QUEUED
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(Text, default="")

    @property
    def headers(self) -> dict[str, str]:
        return json.loads(self.headers_json or "{}")

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.state.value} to {self.to_address}>"


def render_email(template: str, **context) -> tuple[str, str, str]:
    """Return (subject, text, html) for ``emails/<template>``."""
    env = current_app.jinja_env
    context.setdefault("base_url", current_app.config["BASE_URL"].rstrip("/"))
    context.setdefault("site_name", current_app.config["SITE_NAME"])
    text_module = env.get_template(f"emails/{template}.txt").make_module(context)
    html = env.get_template(f"emails/{template}.html").render(context)
    subject = " ".join(
        str(getattr(text_module, "subject", current_app.config["SITE_NAME"])).split()
    )
    return subject, str(text_module).strip() + "\n", html


def in_language_of(user_id: int | None):
    """Write what follows (an email, a line stored for someone) in that account's language."""
    return force_locale(recipient_language(user_id))


def recipient_language(user_id: int | None) -> str:
    """The language to write to this account in: its saved choice, else English."""
    if user_id is None:
        return DEFAULT
    # Callers have usually just loaded the account (for its address): the session's identity
    # map gives it back without a query, so a digest run costs no read more per person.
    account = db.session.get(_mapped_class("users"), user_id)
    language = getattr(account, "language", None)
    return language if is_language(language) else DEFAULT


@cache
def _mapped_class(table_name: str) -> type:
    """The model class of a table, found by its name: core knows no domain's classes."""
    for mapper in db.Model.registry.mappers:
        if mapper.local_table.name == table_name:
            return mapper.class_
    raise LookupError(table_name)


def queue_email(
    to: str,
    template: str,
    *,
    user_id: int | None = None,
    headers: dict[str, str] | None = None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
    **context,
) -> OutboxMessage:
    """Render ``template`` for ``to`` and add it to the outbox in the current transaction.

    Nothing is sent until the caller commits; a rollback takes the email with it. It is
    written in the language of ``user_id``'s account (English without one), not in the
    language of the request that happens to send it: a French reader's reply notifies
    English readers in English.
    """
    with in_language_of(user_id):
        subject, text, html = render_email(template, **context)
    # ``now`` dates the email as its cause (a digest run told another time); it is due at
    # once all the same, never held back until a time the clock has not reached.
    due = min(now or utc_now(), utc_now())
    domain = current_app.config["MAIL_FROM"].rpartition("@")[2].strip("> ") or "localhost"
    message = OutboxMessage(
        to_address=to,
        user_id=user_id,
        template=template,
        subject=subject[:300],
        text_body=text,
        html_body=html,
        headers_json=json.dumps(headers or {}),
        message_id=make_msgid(idstring=uuid.uuid4().hex[:12], domain=domain),
        idempotency_key=idempotency_key,
        created_at=now or utc_now(),
        next_attempt_at=due,
    )
    db.session.add(message)
    db.session.flush()
    db.session.info[OUTBOX_QUEUED] = True
    return message


def send_email(to: str, template: str, **context) -> None:
    """Queue one email in a transaction of its own, for callers that have already committed.

    Prefer ``queue_email`` before your commit: then the email exists exactly when its cause does.
    """
    queue_email(to, template, **context)
    db.session.commit()


@event.listens_for(Session, "after_commit")
def _wake_sender(session: Session) -> None:
    if not session.info.pop(OUTBOX_QUEUED, False):
        return
    wake = current_app.extensions.get(WAKE_SENDER) if has_app_context() else None
    if wake is None:
        return
    try:
        wake()
    except Exception:  # noqa: BLE001 - the periodic sweep sends it anyway
        current_app.logger.exception("Could not wake the mail sender; the next sweep sends it")


@event.listens_for(Session, "after_rollback")
def _forget_queued(session: Session) -> None:
    session.info.pop(OUTBOX_QUEUED, None)


# Sending ----------------------------------------------------------------------------------


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    requeued: int = 0

    @property
    def attempted(self) -> int:
        return self.sent + self.retrying + self.failed


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8... minutes after the n-th failed attempt, at most six hours."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), timedelta(hours=6))


def _is_permanent(error: Exception) -> bool:
    """A 5xx answer means the server will never take it; anything else may pass later."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500


def _is_connection_error(error: Exception) -> bool:
    return isinstance(error, OSError | smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError)


def build_message(row: OutboxMessage, connection=None) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=row.text_body,
        from_email=current_app.config["MAIL_FROM"],
        to=[row.to_address],
        headers={"Message-ID": row.message_id, **row.headers},
        connection=connection,
    )
    message.attach_alternative(row.html_body, "text/html")
    return message


def requeue_stale(now: datetime) -> int:
    """Rows claimed by a worker that died before finishing go back in the queue."""
    lease = timedelta(seconds=current_app.config.get("MAIL_CLAIM_LEASE", 600))
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.state == OutboxState.SENDING, OutboxMessage.claimed_at < now - lease)
        .values(state=OutboxState.QUEUED, claimed_by=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount or 0


def due_ids(now: datetime, limit: int) -> list[int]:
    return list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.state == OutboxState.QUEUED, OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
    )


def _claim(message_id: int, worker: str, now: datetime) -> bool:
    """Take one row for this worker; False when another worker was first."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.state == OutboxState.QUEUED)
        .values(
            state=OutboxState.SENDING,
            claimed_at=now,
            claimed_by=worker,
            attempts=OutboxMessage.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def send_due(
    now: datetime | None = None,
    limit: int = 200,
    worker: str | None = None,
    progress=None,
) -> SendReport:
    """Send up to ``limit`` due rows; each is committed as sent right after the server took it.

    ``progress``, when given, is called once per row tried (the CLI's progress bar).
    """
    now = now or utc_now()
    worker = worker or worker_name()
    report = SendReport(requeued=requeue_stale(now))
    max_attempts = current_app.config.get("MAIL_MAX_ATTEMPTS", 10)
    connection = None
    try:
        for message_id in due_ids(now, limit):
            if not _claim(message_id, worker, now):
                continue
            row = db.session.get(OutboxMessage, message_id, populate_existing=True)
            try:
                if connection is None:
                    connection = current_app.extensions["mailman"].get_connection()
                    connection.open()
                build_message(row, connection).send()
            except Exception as error:  # noqa: BLE001 - every failure is recorded on the row
                row.last_error = f"{type(error).__name__}: {error}"[:2000]
                row.claimed_by = None
                if _is_permanent(error) or row.attempts >= max_attempts:
                    row.state = OutboxState.FAILED
                    report.failed += 1
                else:
                    row.state = OutboxState.QUEUED
                    row.next_attempt_at = now + backoff(row.attempts)
                    report.retrying += 1
                db.session.commit()
                if progress:
                    progress(row)
                if _is_connection_error(error):
                    # The server is unreachable: the rest wait for the next round untouched.
                    break
                continue
            row.state = OutboxState.SENT
            row.sent_at = utc_now()
            row.last_error = ""
            db.session.commit()
            report.sent += 1
            if progress:
                progress(row)
    finally:
        if connection is not None:
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - a broken connection has nothing left to close
                pass
    return report
