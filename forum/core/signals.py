"""What happened, announced for whoever needs to queue work because of it.

Handlers only queue work (outbox rows, index updates); they never send or commit.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

user_registered = _signals.signal("user-registered")
article_saved = _signals.signal("article-saved")
post_created = _signals.signal("post-created")
post_edited = _signals.signal("post-edited")
post_deleted = _signals.signal("post-deleted")
