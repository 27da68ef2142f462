"""What moderation does when something happens elsewhere: only queue work."""

from __future__ import annotations

from forum.core import signals
from forum.moderation.services import HELD_DETAIL, tell_author
from forum.notifications.models import Kind


def _post_created(post, **extra) -> None:
    # The page that took the post already says it waits for review, so no email: the
    # notification keeps it in the author's list beside the approval or rejection to come.
    if post.is_pending:
        tell_author(post, Kind.POST_HELD, post.created_at, HELD_DETAIL, by_email=False)


def connect() -> None:
    # Strong reference: the handler lives as long as the process (blinker dedupes reconnects).
    signals.post_created.connect(_post_created, weak=False)
