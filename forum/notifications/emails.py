"""The emails of notifications and digests: context, headers, and the outbox row.

Links are absolute (FORUM_BASE_URL) and built from the stable URLs in DESIGN.md, since the
worker and the CLI render emails outside any request.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from jinja2 import TemplateNotFound

from forum.accounts.models import User
from forum.core.mail import OutboxMessage, queue_email
from forum.notifications.queries import discussion_title


def base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def unsubscribe_url(token: str) -> str:
    return f"{base_url()}/digests/unsubscribe/{token}"


def unsubscribe_headers(token: str) -> dict[str, str]:
    """RFC 8058: a mail client's "unsubscribe" button POSTs to this URL, no login needed."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(token)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _template_for(kind: str) -> str:
    name = f"notifications/{kind}"
    try:
        current_app.jinja_env.get_template(f"emails/{name}.txt")
    except TemplateNotFound:
        return "notifications/notice"
    return name


def queue_notification_email(
    notification, token: str, *, now: datetime, user: User, template: str | None = None, **context
):
    """The notification's email: ``template`` when its domain has its own (groups), else
    ``notifications/<kind>`` or the general notice. ``context`` goes to the template."""
    from forum.notifications.services import KINDS

    post = notification.post
    info = KINDS.get(notification.kind)
    return queue_email(
        user.email,
        template or _template_for(notification.kind),
        user_id=user.id,
        headers=unsubscribe_headers(token),
        now=now,
        user=user,
        notification=notification,
        kind_label=info.label if info else notification.kind,
        actor=notification.actor,
        post=post,
        discussion_title=discussion_title(post.discussion) if post else None,
        post_url=f"{base_url()}/posts/{post.id}" if post else None,
        unsubscribe_url=unsubscribe_url(token),
        preferences_url=f"{base_url()}/settings/notifications",
        **context,
    )


def queue_digest_email(
    user: User, period_key: str, content, token: str, *, now: datetime
) -> OutboxMessage:
    return queue_email(
        user.email,
        "notifications/digest",
        user_id=user.id,
        headers=unsubscribe_headers(token),
        idempotency_key=f"digest:{user.id}:{period_key}",
        now=now,
        user=user,
        content=content,
        unsubscribe_url=unsubscribe_url(token),
        preferences_url=f"{base_url()}/settings/notifications",
    )
