"""What notifications do when something happens elsewhere: only queue work (rows, jobs).

A published post's notifications are made by a job (forum.notifications.jobs.notify_post),
queued once the post's transaction has committed: the worker then sees the post, and a post
rolled back is never announced.
"""

from __future__ import annotations

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from forum.core import signals
from forum.extensions import db

# Posts published in a session's transaction, waiting for its commit.
PUBLISHED = "forum.posts-to-announce"


def _post_created(post, **extra) -> None:
    # A post held for review tells nobody yet; moderation's approval calls
    # services.notify_post_published when it publishes it.
    if post.is_published:
        db.session.info.setdefault(PUBLISHED, []).append(post.id)


def _queue_after_commit(session: Session) -> None:
    post_ids = session.info.pop(PUBLISHED, None)
    if not post_ids or not has_app_context():
        return
    from forum.notifications.jobs import queue_post_notifications

    try:
        queue_post_notifications(current_app._get_current_object(), post_ids)
    except Exception:  # noqa: BLE001 - the post is saved; only its announcement is lost
        current_app.logger.exception("Could not queue the notifications of posts %s", post_ids)


def _forget(session: Session) -> None:
    session.info.pop(PUBLISHED, None)


def connect() -> None:
    # Strong references: the handlers live as long as the process (blinker dedupes reconnects).
    signals.post_created.connect(_post_created, weak=False)
    if not event.contains(Session, "after_commit", _queue_after_commit):
        event.listen(Session, "after_commit", _queue_after_commit)
        event.listen(Session, "after_rollback", _forget)
