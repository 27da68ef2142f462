"""What moderation does when something happens elsewhere: only queue work."""

from __future__ import annotations

from forum.core import signals
from forum.moderation.services import HELD_DETAIL, told_key
from forum.notifications.models import Kind
from forum.notifications.services import notify


def _post_created(post, **extra) -> None:
    # The page that took the post already says it waits for review, so no email: the
    # notification keeps it in the author's list beside the approval or rejection to come.
    if post.is_pending:
        notify(
            post.author, Kind.POST_HELD, post=post, detail=HELD_DETAIL, now=post.created_at,
            by_email=False, once_key=told_key(Kind.POST_HELD, post),
        )  # fmt: skip


def connect() -> None:
    # Strong reference: the handler lives as long as the process (blinker dedupes reconnects).
    signals.post_created.connect(_post_created, weak=False)
