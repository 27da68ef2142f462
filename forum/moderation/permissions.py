"""Who may moderate what, and who may flag. Site moderators (role moderator or admin) moderate
everything; a group's moderators and organisers moderate only that group's discussions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from babel.dates import format_datetime
from flask import g, has_request_context
from flask_babel import gettext as _
from sqlalchemy import String, cast, func, literal_column, or_, select

from forum.accounts.models import User
from forum.accounts.permissions import is_active_member, is_admin, is_moderator, is_signed_in
from forum.accounts.queries import NOT_READ, read_with_session_user, session_user_read
from forum.core.db import utc_now
from forum.core.errors import PermissionDenied
from forum.core.i18n import current_language
from forum.core.timefmt import local
from forum.discussions.models import Discussion, Post
from forum.extensions import db
from forum.groups.models import Group, MemberRole, Membership, MemberState
from forum.groups.permissions import membership_in
from forum.moderation.models import AuthorWarning, Penalty, PenaltyKind, Policy

GROUP_MODERATOR_ROLES = (MemberRole.MODERATOR, MemberRole.ORGANISER)


def is_site_moderator(user) -> bool:
    return is_moderator(user) and not user.is_banned()


# Where a request keeps the site's read-only switch once read (see moderation.policy).
READ_ONLY_KEY = "_site_read_only"


@dataclass(frozen=True)
class ViewerState:
    """What every page asks about the signed-in person: the groups they moderate (the
    navigation, every post's actions), their unacknowledged warning and the site's read-only
    switch (the banners). Read with the person's row when their session loads it
    (forum.accounts.queries), else together in one query; once per request either way."""

    moderated_group_ids: frozenset[int]
    open_warning_id: int | None
    site_read_only: bool


def _viewer_state_columns(user_id) -> list:
    """The three answers, for ``user_id``: a number, or ``User.id`` when read with the row.
    Written so the statement's SQL is the same on every run (no IN list or separator
    rendered into it per execution): it runs on every signed-in page."""
    groups = (
        select(func.aggregate_strings(cast(Membership.group_id, String), literal_column("','")))
        .where(
            Membership.user_id == user_id,
            Membership.state == MemberState.ACTIVE,
            or_(*(Membership.role == role for role in GROUP_MODERATOR_ROLES)),
        )
        .correlate_except(Membership)
        .scalar_subquery()
    )
    # The oldest one not yet acknowledged.
    warning = (
        select(func.min(AuthorWarning.id))
        .where(AuthorWarning.user_id == user_id, AuthorWarning.acknowledged_at.is_(None))
        .correlate_except(AuthorWarning)
        .scalar_subquery()
    )
    read_only = (
        select(Policy.read_only)
        .where(Policy.group_id.is_(None), Policy.discussion_id.is_(None))
        .scalar_subquery()
    )
    return [groups.label("groups"), warning.label("warning"), read_only.label("read_only")]


# Read with the signed-in person's row when their session loads it (forum.accounts.queries),
# so most pages never run the query below.
VIEWER_STATE_READ = "moderation.viewer_state"
read_with_session_user(VIEWER_STATE_READ, lambda: _viewer_state_columns(User.id))


def viewer_state(user) -> ViewerState:
    key = f"_viewer_state_{user.id}"
    if has_request_context() and key in g:
        return g.get(key)
    row = session_user_read(user, VIEWER_STATE_READ)
    if row is NOT_READ:
        row = db.session.execute(select(*_viewer_state_columns(user.id))).one()
    groups, warning, read_only = row
    state = ViewerState(
        moderated_group_ids=frozenset(int(part) for part in (groups or "").split(",") if part),
        open_warning_id=warning,
        site_read_only=bool(read_only),
    )
    if has_request_context():
        setattr(g, key, state)
        setattr(g, READ_ONLY_KEY, state.site_read_only)
    return state


def moderated_group_ids(user) -> frozenset[int]:
    """The groups whose discussions ``user`` moderates as a group moderator or organiser."""
    if not is_signed_in(user) or user.is_banned():
        return frozenset()
    return viewer_state(user).moderated_group_ids


def is_group_moderator(user, group_id: int | None) -> bool:
    return group_id is not None and group_id in moderated_group_ids(user)


def can_moderate(user) -> bool:
    """Has a queue at all: the Moderation link in the navigation."""
    return is_site_moderator(user) or bool(moderated_group_ids(user))


def require_moderate(user) -> None:
    if not can_moderate(user):
        raise PermissionDenied(_("Only moderators can see the moderation queue."))


def can_moderate_discussion(user, discussion: Discussion) -> bool:
    return is_site_moderator(user) or is_group_moderator(user, discussion.group_id)


def require_moderate_discussion(user, discussion: Discussion) -> None:
    if not can_moderate_discussion(user, discussion):
        raise PermissionDenied(_("Only this discussion's moderators can do that."))


def can_moderate_post(user, post: Post) -> bool:
    return can_moderate_discussion(user, post.discussion)


def require_moderate_post(user, post: Post) -> None:
    if not can_moderate_post(user, post):
        raise PermissionDenied(_("Only this discussion's moderators can moderate this post."))


def can_view_log(user) -> bool:
    return can_moderate(user)


def require_view_log(user) -> None:
    if not can_view_log(user):
        raise PermissionDenied(_("Only moderators can read the moderation log."))


def can_export_log(user) -> bool:
    return is_admin(user) and not user.is_banned()


def require_export_log(user) -> None:
    if not can_export_log(user):
        raise PermissionDenied(_("Only administrators can export the moderation log."))


def can_penalise(user, target: User) -> bool:
    """Suspensions and bans are site-wide, so only site moderators give them; only an admin
    penalises another moderator, and nobody themselves."""
    if not is_site_moderator(user) or target.id == user.id:
        return False
    return not target.is_moderator or is_admin(user)


def require_penalise(user, target: User) -> None:
    if not can_penalise(user, target):
        raise PermissionDenied(_("You cannot suspend or ban this person."))


def can_flag_post(user, post: Post) -> bool:
    return is_active_member(user) and post.is_published and user.id != post.author_id


def require_flag_post(user, post: Post) -> None:
    if not is_active_member(user):
        raise PermissionDenied(
            penalty_notice(user) or _("Verify your email address before flagging posts.")
        )
    if user.id == post.author_id:
        raise PermissionDenied(_("You cannot flag your own post."))
    if not post.is_published:
        raise PermissionDenied(_("This post is not published, so it cannot be flagged."))


def can_edit_site_policy(user) -> bool:
    return is_admin(user) and not user.is_banned()


def require_edit_site_policy(user) -> None:
    if not can_edit_site_policy(user):
        raise PermissionDenied(_("Only administrators can change the site's moderation policy."))


def can_edit_group_policy(user, group_id: int) -> bool:
    return is_site_moderator(user) or is_group_moderator(user, group_id)


def require_edit_group_policy(user, group_id: int) -> None:
    if not can_edit_group_policy(user, group_id):
        raise PermissionDenied(_("Only the group's moderators can change its policy."))


def can_feature_post(user, post: Post) -> bool:
    return post.is_published and can_moderate_post(user, post)


def require_feature_post(user, post: Post) -> None:
    if not can_moderate_post(user, post):
        raise PermissionDenied(_("Only this discussion's moderators can feature its posts."))
    if not post.is_published:
        raise PermissionDenied(_("Only a published post can be featured."))


# Warnings ---------------------------------------------------------------------------------


class WarningPending(PermissionDenied):
    """The author has a warning to acknowledge before posting again; the page shows it."""

    def __init__(self, warning: AuthorWarning):
        super().__init__(
            _(
                "A moderator has warned you. Read the warning and confirm you understand it "
                "before posting again."
            )
        )
        self.warning = warning


def can_warn_author(user, post: Post) -> bool:
    return can_moderate_post(user, post) and post.author_id != user.id


def require_warn_author(user, post: Post) -> None:
    if not can_warn_author(user, post):
        raise PermissionDenied(_("Only this discussion's moderators can warn its authors."))


def pending_warning(user) -> AuthorWarning | None:
    """The oldest warning ``user`` has not acknowledged yet."""
    if not is_signed_in(user):
        return None
    warning_id = viewer_state(user).open_warning_id
    return db.session.get(AuthorWarning, warning_id) if warning_id is not None else None


def can_view_warning(user, warning: AuthorWarning) -> bool:
    """The warned author, and the moderators of where it was given."""
    if not is_signed_in(user):
        return False
    return (
        user.id == warning.user_id
        or is_site_moderator(user)
        or is_group_moderator(user, warning.group_id)
    )


def can_acknowledge_warning(user, warning: AuthorWarning) -> bool:
    return is_signed_in(user) and user.id == warning.user_id


def require_acknowledge_warning(user, warning: AuthorWarning) -> None:
    if not can_acknowledge_warning(user, warning):
        raise PermissionDenied(_("Only the person warned can acknowledge this warning."))


# Bans from one group ----------------------------------------------------------------------


def _group_membership(user, group_id: int) -> Membership | None:
    # Remembered for the request, and read for a whole page at once by the queue.
    return membership_in(user.id, group_id)


def is_banned_from_group(user, group_id: int | None) -> bool:
    if not is_signed_in(user) or group_id is None:
        return False
    membership = _group_membership(user, group_id)
    return membership is not None and membership.state is MemberState.BANNED


def can_ban_from_group(user, target: User, group_id: int) -> bool:
    """A group's moderators (and site moderators) ban people from its discussions; not
    themselves, not the group's own moderators and organisers (their role goes first), and
    a site moderator only when an administrator does it."""
    if not (is_site_moderator(user) or is_group_moderator(user, group_id)):
        return False
    if target.id == user.id or (target.is_moderator and not is_admin(user)):
        return False
    membership = _group_membership(target, group_id)
    return not (
        membership is not None
        and membership.state is MemberState.ACTIVE
        and membership.role in GROUP_MODERATOR_ROLES
    )


def require_ban_from_group(user, target: User, group_id: int) -> None:
    if not can_ban_from_group(user, target, group_id):
        raise PermissionDenied(_("You cannot ban this person from this group."))


def can_lift_group_ban(user, target: User, group_id: int) -> bool:
    """Whoever may ban someone from a group may lift that ban."""
    return is_banned_from_group(target, group_id) and can_ban_from_group(user, target, group_id)


def require_lift_group_ban(user, target: User, group_id: int) -> None:
    if not can_ban_from_group(user, target, group_id):
        raise PermissionDenied(_("You cannot lift this person’s ban from this group."))


@dataclass(frozen=True)
class GroupBan:
    """Someone banned from a group, with the latest reason given (None for a ban made before
    reasons were kept with it)."""

    user: User
    penalty: Penalty | None


def group_bans(group_id: int) -> list[GroupBan]:
    """The people banned from ``group_id``, by name, each with the ban that is in force.

    Read here beside ``group_ban_notice``, which reads the same rows for the banned person."""
    users = db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.group_id == group_id, Membership.state == MemberState.BANNED)
        .order_by(User.display_name, User.id)
    ).all()
    latest: dict[int, Penalty] = {}
    if users:
        penalties = db.session.scalars(
            select(Penalty)
            .where(Penalty.group_id == group_id, Penalty.user_id.in_([u.id for u in users]))
            .order_by(Penalty.id)
        )
        latest = {penalty.user_id: penalty for penalty in penalties}
    return [GroupBan(user, latest.get(user.id)) for user in users]


def _with_reason(sentence: str, penalty: Penalty | None) -> str:
    if penalty is None or not penalty.reason:
        return sentence
    return f"{sentence} " + _("Reason: %(reason)s", reason=penalty.reason)


def group_ban_notice(user, group: Group) -> str | None:
    """Why ``user`` may read but not post in ``group``'s discussions; None if not banned."""
    if not is_banned_from_group(user, group.id):
        return None
    penalty = db.session.scalar(
        select(Penalty)
        .where(Penalty.user_id == user.id, Penalty.group_id == group.id)
        .order_by(Penalty.id.desc())
        .limit(1)
    )
    return _with_reason(
        _("You are banned from posting in the discussions of %(group)s.", group=group.name),
        penalty,
    )


def penalty_notice(user, now: datetime | None = None) -> str | None:
    """Why ``user`` may read but not take part, and until when; None if they may."""
    if not is_signed_in(user) or not user.is_banned(now or utc_now()):
        return None
    penalty = db.session.scalar(
        select(Penalty)
        .where(Penalty.user_id == user.id, Penalty.group_id.is_(None))
        .order_by(Penalty.id.desc())
        .limit(1)
    )
    if user.banned_until is not None:
        shown = local(user.banned_until, user.timezone)
        # The month in the reader's language: "02 December 2026", "02 décembre 2026".
        day = format_datetime(shown, "dd MMMM y, HH:mm", locale=current_language())
        until = f"{day} {shown.tzname()}"
        sentence = _(
            "Your account is suspended until %(until)s, so you cannot post, vote or flag.",
            until=until,
        )
    elif penalty is not None and penalty.kind is PenaltyKind.SUSPENSION:
        sentence = _("Your account is suspended, so you cannot post, vote or flag.")
    else:
        sentence = _("Your account is banned, so you cannot post, vote or flag.")
    return _with_reason(sentence, penalty)
