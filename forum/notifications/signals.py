"""What notifications do when something happens elsewhere: only queue work (rows, emails)."""

from __future__ import annotations

from forum.core import signals
from forum.notifications import services


def _post_created(post, **extra) -> None:
    # A post held for review tells nobody yet; moderation's approval calls
    # services.notify_post_published when it publishes it.
    services.notify_post_published(post)


def connect() -> None:
    # Strong references: the handlers live as long as the process (blinker dedupes reconnects).
    signals.post_created.connect(_post_created, weak=False)
