"""Who may moderate what, and who may flag. Site moderators (role moderator or admin) moderate
everything; a group's moderators and organisers moderate only that group's discussions."""

from __future__ import annotations

from datetime import datetime

from flask import g, has_request_context
from sqlalchemy import select

from forum.accounts.models import User
from forum.accounts.permissions import is_active_member, is_admin, is_moderator, is_signed_in
from forum.core.db import utc_now
from forum.core.errors import PermissionDenied
from forum.discussions.models import Discussion, Post
from forum.extensions import db
from forum.groups.models import MemberRole, Membership, MemberState
from forum.moderation.models import Penalty, PenaltyKind

GROUP_MODERATOR_ROLES = (MemberRole.MODERATOR, MemberRole.ORGANISER)


def is_site_moderator(user) -> bool:
    return is_moderator(user) and not user.is_banned()


def moderated_group_ids(user) -> frozenset[int]:
    """The groups whose discussions ``user`` moderates as a group moderator or organiser.

    Read once per request: templates ask for every post on a page.
    """
    if not is_signed_in(user) or user.is_banned():
        return frozenset()
    key = f"_moderated_groups_{user.id}"
    if has_request_context() and key in g:
        return g.get(key)
    ids = frozenset(
        db.session.scalars(
            select(Membership.group_id).where(
                Membership.user_id == user.id,
                Membership.state == MemberState.ACTIVE,
                Membership.role.in_(GROUP_MODERATOR_ROLES),
            )
        )
    )
    if has_request_context():
        setattr(g, key, ids)
    return ids


def is_group_moderator(user, group_id: int | None) -> bool:
    return group_id is not None and group_id in moderated_group_ids(user)


def can_moderate(user) -> bool:
    """Has a queue at all: the Moderation link in the navigation."""
    return is_site_moderator(user) or bool(moderated_group_ids(user))


def require_moderate(user) -> None:
    if not can_moderate(user):
        raise PermissionDenied("Only moderators can see the moderation queue.")


def can_moderate_discussion(user, discussion: Discussion) -> bool:
    return is_site_moderator(user) or is_group_moderator(user, discussion.group_id)


def require_moderate_discussion(user, discussion: Discussion) -> None:
    if not can_moderate_discussion(user, discussion):
        raise PermissionDenied("Only this discussion's moderators can do that.")


def can_moderate_post(user, post: Post) -> bool:
    return can_moderate_discussion(user, post.discussion)


def require_moderate_post(user, post: Post) -> None:
    if not can_moderate_post(user, post):
        raise PermissionDenied("Only this discussion's moderators can moderate this post.")


def can_view_log(user) -> bool:
    return can_moderate(user)


def require_view_log(user) -> None:
    if not can_view_log(user):
        raise PermissionDenied("Only moderators can read the moderation log.")


def can_export_log(user) -> bool:
    return is_admin(user) and not user.is_banned()


def require_export_log(user) -> None:
    if not can_export_log(user):
        raise PermissionDenied("Only administrators can export the moderation log.")


def can_penalise(user, target: User) -> bool:
    """Suspensions and bans are site-wide, so only site moderators give them; only an admin
    penalises another moderator, and nobody themselves."""
    if not is_site_moderator(user) or target.id == user.id:
        return False
    return not target.is_moderator or is_admin(user)


def require_penalise(user, target: User) -> None:
    if not can_penalise(user, target):
        raise PermissionDenied("You cannot suspend or ban this person.")


def can_flag_post(user, post: Post) -> bool:
    return is_active_member(user) and post.is_published and user.id != post.author_id


def require_flag_post(user, post: Post) -> None:
    if not is_active_member(user):
        raise PermissionDenied(
            penalty_notice(user) or "Verify your email address before flagging posts."
        )
    if user.id == post.author_id:
        raise PermissionDenied("You cannot flag your own post.")
    if not post.is_published:
        raise PermissionDenied("This post is not published, so it cannot be flagged.")


def can_edit_site_policy(user) -> bool:
    return is_admin(user) and not user.is_banned()


def require_edit_site_policy(user) -> None:
    if not can_edit_site_policy(user):
        raise PermissionDenied("Only administrators can change the site's moderation policy.")


def can_edit_group_policy(user, group_id: int) -> bool:
    return is_site_moderator(user) or is_group_moderator(user, group_id)


def require_edit_group_policy(user, group_id: int) -> None:
    if not can_edit_group_policy(user, group_id):
        raise PermissionDenied("Only the group's moderators can change its policy.")


def penalty_notice(user, now: datetime | None = None) -> str | None:
    """Why ``user`` may read but not take part, and until when; None if they may."""
    if not is_signed_in(user) or not user.is_banned(now or utc_now()):
        return None
    penalty = db.session.scalar(
        select(Penalty).where(Penalty.user_id == user.id).order_by(Penalty.id.desc()).limit(1)
    )
    reason = f" Reason: {penalty.reason}" if penalty is not None and penalty.reason else ""
    if user.banned_until is not None:
        until = user.banned_until.strftime("%d %B %Y, %H:%M UTC")
        return f"Your account is suspended until {until}, so you cannot post, vote or flag.{reason}"
    if penalty is not None and penalty.kind is PenaltyKind.SUSPENSION:
        return f"Your account is suspended, so you cannot post, vote or flag.{reason}"
    return f"Your account is banned, so you cannot post, vote or flag.{reason}"
