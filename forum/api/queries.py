"""Reads for the API: tokens, webhooks and their deliveries, a group's sessions, votes."""

from __future__ import annotations

import hashlib

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Exists, select

from forum.api.models import ApiToken, Webhook, WebhookDelivery
from forum.core.errors import NotVisible
from forum.core.pagination import Page, paginate
from forum.discussions.models import Post, Vote
from forum.extensions import db
from forum.groups.models import Group, GroupSession
from forum.groups.queries import get_group_for
from forum.groups.queries import get_session_for as get_group_session_for

DELIVERIES_SHOWN = 20


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_for_secret(raw: str) -> ApiToken | None:
    """The live token whose secret is ``raw`` (None if unknown or revoked)."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    if token is None or token.is_revoked:
        return None
    return token


def tokens_of(user) -> list[ApiToken]:
    """The person's tokens, live ones first, newest first."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())
        )
    )


def get_token_of(user, token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotVisible(_("There is no such token."))
    return token


def webhooks() -> list[Webhook]:
    return list(db.session.scalars(select(Webhook).order_by(Webhook.id)))


def get_webhook(webhook_id: int) -> Webhook:
    webhook = db.session.get(Webhook, webhook_id)
    if webhook is None:
        raise NotVisible(_("There is no such webhook."))
    return webhook


# Set on a database session when a query of its transaction found no active webhook: its
# events then read no webhooks. Forgotten when that transaction ends (forum.api.webhooks) and
# when a webhook is created or switched on.
NO_WEBHOOKS = "forum.no-active-webhooks"


def any_active_webhook() -> Exists:
    """Whether any webhook is active, as a column of another query: posting reads it with its
    other checks, as most sites have no webhooks and a query of its own cost one on every
    post. Hand the answer to ``note_active_webhooks``."""
    return select(Webhook.id).where(Webhook.is_active.is_(True)).exists()


def note_active_webhooks(active: bool) -> None:
    if active:
        db.session.info.pop(NO_WEBHOOKS, None)
    else:
        db.session.info[NO_WEBHOOKS] = True


def webhooks_for(event: str) -> list[Webhook]:
    """The active webhooks that are sent ``event``."""
    if db.session.info.get(NO_WEBHOOKS):
        return []
    rows = db.session.scalars(select(Webhook).where(Webhook.is_active.is_(True)))
    return [webhook for webhook in rows if event in webhook.event_list]


def recent_deliveries(webhook: Webhook, limit: int = DELIVERIES_SHOWN) -> list[WebhookDelivery]:
    return list(
        db.session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == webhook.id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )


def sessions_of(group: Group, page: int) -> Page:
    """A group's sessions in date order (the group already checked visible to the viewer:
    its sessions are as visible as it is)."""
    statement = (
        select(GroupSession)
        .where(GroupSession.group_id == group.id)
        .order_by(GroupSession.starts_at, GroupSession.id)
    )
    return paginate(statement, page, current_app.config["POSTS_PER_PAGE"])


def has_voted(user, post: Post) -> bool:
    return db.session.get(Vote, {"post_id": post.id, "user_id": user.id}) is not None


def get_session_for(viewer, session_id: int) -> GroupSession:
    """A session by its id alone, as visible as its group."""
    session = db.session.get(GroupSession, session_id)
    if session is None:
        raise NotVisible(_("There is no such session."))
    group = get_group_for(viewer, session.group.slug)
    return get_group_session_for(viewer, group, session_id)
