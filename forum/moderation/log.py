"""Writing the append-only moderation log.

Apart from the services so that the discussions services can log a moderator's edit of a
published post without importing the moderation services (which build on them).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from forum.accounts.models import User
from forum.discussions.models import Discussion, Post
from forum.extensions import db
from forum.moderation.models import Action, AuditEntry

# What each action is called on the pages, in the reader's language. The log stores the action
# itself; its subjects and reasons are stored text and are shown as written.
ACTION_NAMES = {
    Action.APPROVE: _l("Approved"),
    Action.REJECT: _l("Rejected"),
    Action.EDIT_APPROVE: _l("Edited and approved"),
    Action.DELETE: _l("Deleted"),
    Action.HIDE: _l("Hidden pending review"),
    Action.LOCK: _l("Locked the discussion"),
    Action.UNLOCK: _l("Reopened the discussion"),
    Action.SUSPEND: _l("Suspended"),
    Action.BAN: _l("Banned"),
    Action.GROUP_BAN: _l("Banned from the group"),
    Action.POLICY: _l("Changed the policy"),
    Action.WARN: _l("Warned"),
    Action.ACKNOWLEDGE: _l("Acknowledged a warning"),
    Action.FEATURE: _l("Featured"),
    Action.UNFEATURE: _l("No longer featured"),
    Action.EDIT: _l("Edited"),
    Action.ADMIN: _l("Administration"),
    Action.GROUP_UNBAN: _l("Ban from the group lifted"),
}


def action_name(action: Action) -> str:
    return str(ACTION_NAMES[action])


def subject_of(post: Post) -> str:
    article = post.discussion.article
    return f"Post by {post.author.display_name}" + (f" on “{article.title}”" if article else "")


def record(
    actor: User | None,
    action: Action,
    now: datetime,
    *,
    post: Post | None = None,
    discussion: Discussion | None = None,
    group_id: int | None = None,
    target: User | None = None,
    reason: str = "",
    before: str | None = None,
    after: str | None = None,
    subject: str = "",
) -> AuditEntry:
    """Append one row to the moderation log."""
    discussion = discussion or (post.discussion if post is not None else None)
    if target is None and post is not None:
        target = post.author
    if group_id is None and discussion is not None:
        group_id = discussion.group_id
    entry = AuditEntry(
        created_at=now,
        actor_id=actor.id if actor is not None else None,
        action=action,
        post_id=post.id if post is not None else None,
        discussion_id=discussion.id if discussion is not None else None,
        group_id=group_id,
        target_user_id=target.id if target is not None else None,
        reason=reason,
        before_text=before,
        after_text=after,
        subject=(subject or (subject_of(post) if post is not None else ""))[:300],
    )
    db.session.add(entry)
    return entry
