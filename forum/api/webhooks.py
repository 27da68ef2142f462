"""Outgoing webhooks: what happened, told to the addresses admins configured, signed.

A delivery row is written in the transaction of its cause (a post's, a moderator's action's),
like an email in the outbox, and the worker sends it: ``send_due`` claims each due row with an
atomic UPDATE, POSTs its body, and marks it delivered on a 2xx answer, or queues it again with
a growing pause (1, 2, 4… minutes) until ``WEBHOOK_MAX_ATTEMPTS``.

Every request carries ``X-Forum-Signature: t=<unix time>,v1=<hex>``, where the hex is the
HMAC-SHA256, keyed with the webhook's secret, of ``<unix time>.`` followed by the body's bytes.
A receiver recomputes it, compares in constant time and refuses old timestamps (replays).

Only addresses on the internet are sent anything (forum.core.outbound): the host is resolved
at each delivery, an internal answer (loopback, private, link-local, reserved) fails the
delivery, and the connection goes to the address that was checked. Redirects are not
followed, and no proxy from the environment is used. ``OUTBOUND_ALLOW_INTERNAL`` lifts the
check (tests, a receiver on the same machine).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session, SessionTransaction

from forum.api import services
from forum.api.models import DeliveryState, WebhookDelivery
from forum.api.queries import NO_WEBHOOKS
from forum.api.schemas import PostSchema
from forum.core import outbound, signals
from forum.core.db import utc_now
from forum.core.mail import backoff
from forum.extensions import db
from forum.moderation.models import AuditEntry

SIGNATURE_HEADER = "X-Forum-Signature"
USER_AGENT = "Forum-Webhooks/1"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The header's value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    """What a receiver does: the signature matches and the timestamp is recent."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


# Queuing: listeners that only add rows ----------------------------------------------------


def _post_created(post, **extra) -> None:
    services.queue_event(
        db.session(),
        "post.created",
        lambda: {"post": PostSchema.dump(post)},
        now=post.created_at,
    )


def _audit_data(entry: AuditEntry) -> dict:
    return {
        "action": str(entry.action.value),
        "moderator_id": entry.actor_id,
        "post_id": entry.post_id,
        "discussion_id": entry.discussion_id,
        "group_id": entry.group_id,
        "target_user_id": entry.target_user_id,
        "subject": entry.subject,
        "reason": entry.reason,
    }


def _moderation_decisions(session: Session, flush_context, instances) -> None:
    """Each new row of the moderation log is a decision: one delivery per webhook, written
    in the same flush as the log's row."""
    entries = [obj for obj in session.new if isinstance(obj, AuditEntry)]
    if not entries:
        return
    with session.no_autoflush:
        for entry in entries:
            services.queue_event(
                session,
                "moderation.decision",
                functools.partial(_audit_data, entry),
                now=entry.created_at,
            )


def _wake_sender(app: Flask, session: Session) -> None:
    if not session.info.pop(services.DELIVERY_QUEUED, False):
        return
    if not has_app_context() or current_app._get_current_object() is not app:
        return
    from forum.notifications.jobs import TASKS, get_huey

    try:
        get_huey(app)
        app.extensions[TASKS]["send_webhooks"]()
    except Exception:  # noqa: BLE001 - the periodic sweep sends it anyway
        app.logger.exception("Could not wake the webhook sender; the next sweep sends it")


def _forget_queued(session: Session) -> None:
    session.info.pop(services.DELIVERY_QUEUED, None)


def _forget_no_webhooks(session: Session, transaction: SessionTransaction) -> None:
    # The answer holds for the transaction it was read in (committed, rolled back or closed);
    # the next one may see webhooks this one did not.
    if transaction.parent is None:
        session.info.pop(NO_WEBHOOKS, None)


def init_app(app: Flask) -> None:
    # Strong references: the handlers live as long as the process (blinker dedupes).
    signals.post_created.connect(_post_created, weak=False)
    if not event.contains(Session, "before_flush", _moderation_decisions):
        event.listen(Session, "before_flush", _moderation_decisions)
        event.listen(Session, "after_rollback", _forget_queued)
        event.listen(Session, "after_transaction_end", _forget_no_webhooks)
    wake = functools.partial(_wake_sender, app)
    app.extensions["forum.webhook-wake"] = wake
    event.listen(Session, "after_commit", wake)


# Sending ------------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def attempted(self) -> int:
        return self.delivered + self.retrying + self.failed


def _requeue_stale(now: datetime) -> None:
    lease = timedelta(seconds=current_app.config.get("WEBHOOK_CLAIM_LEASE", 600))
    db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.state == DeliveryState.SENDING,
            WebhookDelivery.claimed_at < now - lease,
        )
        .values(state=DeliveryState.QUEUED)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _claim(delivery_id: int, now: datetime) -> bool:
    result = db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.state == DeliveryState.QUEUED)
        .values(
            state=DeliveryState.SENDING,
            claimed_at=now,
            attempts=WebhookDelivery.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def _post(delivery: WebhookDelivery, now: datetime) -> int:
    """POST the delivery; returns the HTTP status (raises OSError when nobody answers, and
    InternalTarget when the host is inside the network)."""
    body = delivery.payload.encode()
    request = urllib.request.Request(
        delivery.webhook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Forum-Event": delivery.event,
            "X-Forum-Delivery": str(delivery.id),
            SIGNATURE_HEADER: sign(delivery.webhook.secret, int(now.timestamp()), body),
        },
    )
    timeout = current_app.config.get("WEBHOOK_TIMEOUT", 10)
    try:
        # An admin's http(s) URL; the opener checks the address it resolves to. A 3xx is the
        # receiver's answer (a failure), not an address to go to next.
        with outbound.opener(max_redirects=0).open(request, timeout=timeout) as response:  # nosec B310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except urllib.error.URLError as error:
        if isinstance(error.reason, outbound.InternalTarget):
            raise error.reason from None
        raise


def send_due(now: datetime | None = None, limit: int = 100) -> DeliveryReport:
    """Send up to ``limit`` due deliveries, each committed as it ends."""
    now = now or utc_now()
    _requeue_stale(now)
    report = DeliveryReport()
    max_attempts = current_app.config.get("WEBHOOK_MAX_ATTEMPTS", 8)
    due = db.session.scalars(
        select(WebhookDelivery.id)
        .where(
            WebhookDelivery.state == DeliveryState.QUEUED,
            WebhookDelivery.next_attempt_at <= now,
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    ).all()
    for delivery_id in due:
        if not _claim(delivery_id, now):
            continue
        delivery = db.session.get(WebhookDelivery, delivery_id, populate_existing=True)
        refused = False
        try:
            status = _post(delivery, now)
            error = "" if 200 <= status < 300 else f"HTTP {status}"
        except outbound.InternalTarget as failure:
            # Asking again would be refused again: the delivery fails at once.
            status, error, refused = None, f"Refused: {failure}", True
        except (OSError, ValueError) as failure:
            status, error = None, f"{type(failure).__name__}: {failure}"
        delivery.last_status = status
        delivery.last_error = error[:2000]
        if not error:
            delivery.state = DeliveryState.DELIVERED
            delivery.delivered_at = utc_now()
            report.delivered += 1
        elif refused or delivery.attempts >= max_attempts:
            delivery.state = DeliveryState.FAILED
            report.failed += 1
        else:
            delivery.state = DeliveryState.QUEUED
            delivery.next_attempt_at = now + backoff(delivery.attempts)
            report.retrying += 1
        db.session.commit()
    return report


def payload_of(delivery: WebhookDelivery) -> dict:
    return json.loads(delivery.payload)
