"""The rules of API tokens and webhooks. Services flush; the caller commits."""

from __future__ import annotations

import ipaddress
import json
import secrets
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.api import permissions
from forum.api.models import ApiToken, DeliveryState, TokenScope, Webhook, WebhookDelivery
from forum.api.queries import hash_token, webhooks_for
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
# IPv6 prefixes that carry an IPv4 address inside (NAT64, 6to4 is read by ipaddress itself).
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# IPv4-compatible addresses (::a.b.c.d, deprecated): Python 3.11 calls ::127.0.0.1 global, yet
# a host with IPv6-in-IPv4 tunnelling sends it to the IPv4 address inside.
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
# RFC 8215's NAT64 prefix for a network's own translator, which reaches its private addresses.
LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")


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


class InternalTarget(OSError):
    """A webhook's host is, or resolves to, an address inside the network (loopback, private,
    link-local such as a cloud's metadata service, reserved): an admin's URL must not make
    the server reach what only it can reach."""

    def __init__(self, host: str, address: str):
        super().__init__(f"{host} is an internal address ({address}); webhooks are not sent there")
        self.host = host
        self.address = address


def internal_targets_allowed() -> bool:
    """``WEBHOOK_ALLOW_INTERNAL`` (forum.cfg): for tests and a receiver on the same machine."""
    return bool(current_app.config.get("WEBHOOK_ALLOW_INTERNAL", False))


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour
        if address in LOCAL_NAT64:
            return False
        if inner is None and (address in NAT64 or address in IPV4_COMPATIBLE):
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is None and address.teredo:
            inner = address.teredo[1]
        if inner is not None and not _is_public(inner):
            return False
    return address.is_global and not address.is_multicast


def public_address(host: str, port: int) -> str:
    """The address to connect to for ``host``: the first it resolves to, when every one is
    public. Raises InternalTarget, or OSError when the name does not resolve. The caller
    connects to the address returned, so a second lookup cannot answer differently."""
    name = host.rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        raise InternalTarget(host, "localhost")
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
    for address in addresses:
        if not _is_public(address):
            raise InternalTarget(host, str(address))
    if not addresses:
        raise OSError(f"{host} has no address")
    return str(addresses[0])


def _checked_url(url: str) -> str:
    url = (url or "").strip()
    try:
        # urlsplit, hostname and port raise ValueError on a malformed host ("http://[::1/").
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        host = None
    if not host or parts.scheme not in ("http", "https"):
        raise ValidationFailed("url", _("Give an address starting with https:// (or http://)."))
    if len(url) > MAX_URL:
        raise ValidationFailed("url", _("Keep the address under %(max)d characters.", max=MAX_URL))
    if not internal_targets_allowed():
        try:
            public_address(host, port)
        except InternalTarget as refused:
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
    return webhook


def set_webhook_active(actor: User, webhook: Webhook, active: bool) -> Webhook:
    """A paused webhook is sent nothing new; what was queued still goes out."""
    permissions.require_manage_webhooks(actor)
    webhook.is_active = active
    db.session.flush()
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
