"""The rules of API tokens and webhooks. Services flush; the caller commits."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.api import permissions
from forum.api.models import ApiToken, DeliveryState, TokenScope, Webhook, WebhookDelivery
from forum.api.queries import hash_token, note_active_webhooks, webhooks_for
from forum.core import outbound
from forum.core.db import utc_now
from forum.core.errors import ValidationFailed
from forum.extensions import db

TOKEN_PREFIX = "forum_"
MAX_TOKEN_NAME = 80
MAX_URL = 500
# A token's last use is written at most this often: a write per request would cost more
# than the information is worth (and end the anonymous page cache's version every time).
LAST_USED_PRECISION = timedelta(minutes=5)
EVENTS = {
    "post.created": "A post is written (published, or held for review)",
    "moderation.decision": "A moderator acts: approve, reject, delete, hide, lock, ban…",
}
# Set on the database session when a delivery was queued: the sender is woken after commit.
DELIVERY_QUEUED = "forum.webhook-queued"


# Tokens -----------------------------------------------------------------------------------


def create_token(
    actor: User, name: str, scope: TokenScope | str, now: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token for the actor; returns it with its secret, which is never shown again."""
    permissions.require_manage_tokens(actor)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("name", _("Name the token, e.g. after the script that uses it."))
    if len(name) > MAX_TOKEN_NAME:
        raise ValidationFailed(
            "name", _("Keep the name under %(max)d characters.", max=MAX_TOKEN_NAME)
        )
    try:
        scope = TokenScope(scope)
    except ValueError:
        raise ValidationFailed("scope", _("Choose read or read and write.")) from None
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=actor.id,
        name=name,
        token_hash=hash_token(raw),
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        scope=scope,
        created_at=now or utc_now(),
    )
    db.session.add(token)
    db.session.flush()
    return token, raw


def revoke_token(actor: User, token: ApiToken, now: datetime | None = None) -> ApiToken:
    """The token stops working at once; revoking it again changes nothing."""
    permissions.require_revoke_token(actor, token)
    if token.revoked_at is None:
        token.revoked_at = now or utc_now()
        db.session.flush()
    return token


def note_token_used(token: ApiToken, now: datetime | None = None) -> bool:
    """Record that the token was used; True when that needs a commit."""
    now = now or utc_now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_PRECISION:
        return False
    token.last_used_at = now
    db.session.flush()
    return True


# Webhooks ---------------------------------------------------------------------------------


def _checked_url(url: str) -> str:
    url = (url or "").strip()
    target = outbound.host_and_port(url)
    if target is None:
        raise ValidationFailed("url", _("Give an address starting with https:// (or http://)."))
    if len(url) > MAX_URL:
        raise ValidationFailed("url", _("Keep the address under %(max)d characters.", max=MAX_URL))
    host, port = target
    try:
        outbound.check_target(host, port)
    except outbound.InternalTarget as refused:
        raise ValidationFailed(
            "url",
            _(
                "%(host)s is an address inside the network (%(address)s): webhooks are "
                "sent only to systems reachable from the internet.",
                host=host,
                address=refused.address,
            ),
        ) from None
    except (OSError, ValueError, UnicodeError):
        raise ValidationFailed(
            "url",
            _("No address was found for %(host)s: check the name.", host=host),
        ) from None
    return url


def _checked_events(events: list[str]) -> str:
    chosen = [event for event in EVENTS if event in (events or [])]
    if not chosen or len(chosen) != len(set(events)):
        raise ValidationFailed("events", _("Choose at least one of the events listed."))
    return " ".join(chosen)


def create_webhook(
    actor: User, url: str, events: list[str], now: datetime | None = None
) -> Webhook:
    """A webhook with a new secret (the admin copies it to the receiver to check signatures)."""
    permissions.require_manage_webhooks(actor)
    webhook = Webhook(
        url=_checked_url(url),
        events=_checked_events(events),
        secret=secrets.token_hex(24),
        created_by_id=actor.id,
        created_at=now or utc_now(),
    )
    db.session.add(webhook)
    db.session.flush()
    note_active_webhooks(True)
    return webhook


def set_webhook_active(actor: User, webhook: Webhook, active: bool) -> Webhook:
    """A paused webhook is sent nothing new; what was queued still goes out."""
    permissions.require_manage_webhooks(actor)
    webhook.is_active = active
    db.session.flush()
    if active:
        note_active_webhooks(True)
    return webhook


def delete_webhook(actor: User, webhook: Webhook) -> None:
    """The webhook and its deliveries, sent or not, are gone."""
    permissions.require_manage_webhooks(actor)
    db.session.delete(webhook)
    db.session.flush()


def queue_event(
    session: Session, event: str, data: Callable[[], dict], now: datetime | None = None
) -> list[WebhookDelivery]:
    """A delivery row for each webhook that is sent ``event``, in the caller's transaction.

    ``session`` is the database session the cause is written in (a flush hook passes its own);
    ``data`` makes the event's data, called only when some webhook wants it.
    """
    now = now or utc_now()
    hooks = webhooks_for(event)
    deliveries = []
    for webhook in hooks:
        delivery = WebhookDelivery(
            webhook_id=webhook.id,
            event=event,
            payload="",
            state=DeliveryState.QUEUED,
            next_attempt_at=now,
            created_at=now,
        )
        session.add(delivery)
        deliveries.append(delivery)
    if deliveries:
        body = {"event": event, "occurred_at": now.isoformat(), "data": data()}
        for delivery in deliveries:
            delivery.payload = json.dumps(body, separators=(",", ":"), sort_keys=True)
        session.info[DELIVERY_QUEUED] = True
    return deliveries
