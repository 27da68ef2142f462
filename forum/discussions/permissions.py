"""Who may do what in discussions. Pure functions of the actor and the objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from flask_babel import gettext as _

from forum.accounts.permissions import is_active_member, is_admin, is_signed_in
from forum.core.db import utc_now
from forum.core.errors import PermissionDenied
from forum.discussions.models import Discussion, Post, PostState
from forum.groups.permissions import can_post_in_group, can_view_group
from forum.moderation.permissions import (
    WarningPending,
    can_moderate_discussion,
    can_moderate_post,
    group_ban_notice,
    penalty_notice,
    pending_warning,
    viewer_state,
)
from forum.moderation.policy import READ_ONLY_MESSAGE


def can_view_discussion(user, discussion: Discussion) -> bool:
    article = discussion.article
    if article is not None and article.is_hidden and not is_admin(user):
        return False
    # A group's discussions are as visible as the group.
    return discussion.group is None or can_view_group(user, discussion.group)


def closed_notice(discussion: Discussion, now: datetime | None = None) -> str | None:
    """Why the discussion takes no new posts (locked by a moderator, or closed a set number of
    days after its article's publication: FORUM setting DISCUSSIONS_CLOSE_AFTER_DAYS), or None.
    Read from the discussion and its article, so a page asks at no cost."""
    if discussion.is_locked:
        return "This discussion is closed to new posts."
    days = current_app.config.get("DISCUSSIONS_CLOSE_AFTER_DAYS") if has_app_context() else None
    article = discussion.article
    if not days or article is None or article.published_at is None:
        return None
    if (now or utc_now()) < article.published_at + timedelta(days=days):
        return None
    return (
        f"This discussion closed to new posts {days} day{'' if days == 1 else 's'} "
        "after the article was published."
    )


def can_view_post(user, post: Post) -> bool:
    if post.state in (PostState.PUBLISHED, PostState.DELETED):
        return True
    return (is_signed_in(user) and user.id == post.author_id) or can_moderate_post(user, post)


WARNED = "A moderator has warned you: read the warning and confirm it before posting again."


def _reply_refusal(user, discussion: Discussion) -> str | None:
    """Why ``user`` may not post in ``discussion``, or None if they may."""
    if not is_signed_in(user):
        return _("Log in to take part in the discussion.")
    if not user.is_verified:
        return _("Verify your email address before posting: follow the link we emailed you.")
    if user.is_banned():
        return penalty_notice(user)
    # The switch as read with the person's moderation state: no query of its own.
    if viewer_state(user).site_read_only and not is_admin(user):
        return READ_ONLY_MESSAGE
    if pending_warning(user) is not None:
        return WARNED
    if discussion.group is not None and not can_post_in_group(user, discussion.group):
        return group_ban_notice(user, discussion.group) or _(
            "Join the group to take part in its discussions."
        )
    closed = closed_notice(discussion)
    if closed and not can_moderate_discussion(user, discussion):
        return closed
    return None


def can_reply(user, discussion: Discussion) -> bool:
    return _reply_refusal(user, discussion) is None


def require_reply(user, discussion: Discussion) -> None:
    reason = _reply_refusal(user, discussion)
    if reason == WARNED:
        # The warning's own page, with the button that acknowledges it.
        raise WarningPending(pending_warning(user))
    if reason:
        raise PermissionDenied(reason)


def is_author(user, post: Post) -> bool:
    return is_signed_in(user) and user.id == post.author_id


def can_edit_post(user, post: Post) -> bool:
    if post.is_deleted or not is_active_member(user):
        return False
    if can_moderate_post(user, post):
        return True
    return is_author(user, post) and not closed_notice(post.discussion)


def require_edit_post(user, post: Post) -> None:
    if not can_edit_post(user, post):
        raise PermissionDenied(_("You cannot edit this post."))


def can_delete_post(user, post: Post) -> bool:
    if post.is_deleted or not is_signed_in(user) or user.is_banned():
        return False
    return is_author(user, post) or can_moderate_post(user, post)


def require_delete_post(user, post: Post) -> None:
    if not can_delete_post(user, post):
        raise PermissionDenied(_("You cannot delete this post."))


def can_vote(user, post: Post) -> bool:
    return is_active_member(user) and post.is_published and not is_author(user, post)


def require_vote(user, post: Post) -> None:
    if not is_active_member(user):
        raise PermissionDenied(
            penalty_notice(user) or _("Verify your email address before voting.")
        )
    if is_author(user, post):
        raise PermissionDenied(_("You cannot vote for your own post."))
    if not post.is_published:
        raise PermissionDenied(_("This post cannot be voted on."))


def can_follow(user, discussion: Discussion) -> bool:
    return is_signed_in(user) and can_view_discussion(user, discussion)


def require_follow(user, discussion: Discussion) -> None:
    if not can_follow(user, discussion):
        raise PermissionDenied(_("Log in to follow discussions."))


def can_lock_discussion(user, discussion: Discussion) -> bool:
    return can_moderate_discussion(user, discussion)


def require_lock_discussion(user, discussion: Discussion) -> None:
    if not can_lock_discussion(user, discussion):
        raise PermissionDenied(_("Only moderators and administrators can close a discussion."))


@dataclass(frozen=True)
class PostActions:
    """What the viewer may do with one post: the buttons under it."""

    vote: bool
    reply: bool
    edit: bool
    delete: bool
    feature: bool
    warn: bool
    flag: bool


class ThreadRights:
    """The post rules above, decided for a whole page of one discussion at once.

    What depends only on the viewer and the discussion (signed in, active, banned, moderates
    it, may reply, closed) is asked once; per post only the author, the state and the id
    remain. ``for_post`` must agree with can_vote, can_edit_post, can_delete_post,
    can_feature_post, can_warn_author and can_flag_post (a test compares them).
    """

    def __init__(self, user, discussion: Discussion):
        self.user_id = user.id if is_signed_in(user) else None
        self.active = is_active_member(user)
        self.unbanned = self.user_id is not None and not user.is_banned()
        self.moderates = can_moderate_discussion(user, discussion)
        self.may_reply = can_reply(user, discussion)
        # Authors edit their posts until the discussion closes; moderators always may.
        self.edits_own = self.active and not closed_notice(discussion)

    def key(self) -> tuple:
        """What decides this viewer's buttons besides which posts are theirs: two viewers
        with the same key and no posts of their own see the same buttons."""
        return (
            self.user_id is not None,
            self.active,
            self.unbanned,
            self.moderates,
            self.may_reply,
            self.edits_own,
        )

    def for_post(self, post: Post) -> PostActions:
        published = post.state is PostState.PUBLISHED
        deleted = post.state is PostState.DELETED
        own = self.user_id is not None and self.user_id == post.author_id
        return PostActions(
            vote=self.active and published and not own,
            reply=self.may_reply and published,
            edit=not deleted and self.active and (self.moderates or (own and self.edits_own)),
            delete=not deleted and self.unbanned and (own or self.moderates),
            feature=published and self.moderates,
            warn=self.moderates and not own,
            flag=self.active and published and not own,
        )
