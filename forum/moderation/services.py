"""The rules of moderation: flags, the actions of the queue, penalties and the audit log.

Every action checks its permission first, checks the state it acts on in the UPDATE itself
(so of two moderators acting at once the first wins and the second is told), and writes one
row of the audit log. Services flush and queue their emails in the outbox; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import LazyString, format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from forum.accounts.models import User, UserStatus
from forum.core.db import utc_now
from forum.core.errors import PermissionDenied, ValidationFailed
from forum.core.mail import in_language_of
from forum.discussions import services as discussions
from forum.discussions.models import Discussion, Post, PostState
from forum.extensions import db
from forum.groups.models import Group, MemberRole, Membership, MemberState
from forum.moderation import permissions
from forum.moderation.log import action_name, record
from forum.moderation.models import (
    Action,
    AuditEntry,
    AuthorWarning,
    FeaturedPost,
    Flag,
    FlagReason,
    Penalty,
    PenaltyKind,
    Policy,
)
from forum.moderation.policy import (
    DEFAULTS,
    HELD_BY_FLAGS,
    HELD_BY_MODERATOR,
    check_read_only,
    effective_policy,
    word_list,
)
from forum.notifications.models import Kind
from forum.notifications.services import notify, notify_post_published

MAX_REASON_LENGTH = 2000
MAX_WARNING_LENGTH = 2000
# Said by the forms when the field is left empty, and by the services to any other caller.
REASON_NEEDED = _l("Give a reason: the author is told it.")
FLAG_REASON_NEEDED = _l("Choose why you are flagging this post.")
WARNING_NEEDED = _l("Write the warning: the author reads it.")
# Formatted when shown: the number in the reader's language ("2,000", "2 000").
WARNING_TOO_LONG = LazyString(
    lambda: _(
        "Keep the warning under %(limit)s characters.", limit=format_number(MAX_WARNING_LENGTH)
    )
)
# Stored with the author's notification (and sent by email from the worker): English.
HELD_DETAIL = _l("Only you and the moderators can see it until a moderator has reviewed it.")
HIDDEN_DETAIL = _l(
    "Readers flagged it, so it is hidden until a moderator has reviewed it; you can still see it."
)


class AlreadyModerated(ValidationFailed):
    """Another moderator acted on the item first."""

    def __init__(self, message: str):
        super().__init__(None, message)


def _already_message(post: Post) -> str:
    """What the second moderator is told: who acted first, and what they did."""
    entry = db.session.scalar(
        select(AuditEntry)
        .where(AuditEntry.post_id == post.id)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    if entry is None or entry.actor is None:
        return _("Someone else has already dealt with this post; the queue shows where it stands.")
    return _(
        "%(name)s already dealt with this post (%(action)s); nothing more was done.",
        name=entry.actor.display_name,
        action=action_name(entry.action).lower(),
    )


def _move(post: Post, expected: PostState, new: PostState, **values) -> None:
    """Change the post's state only if it still has the state the moderator saw."""
    result = db.session.execute(
        update(Post)
        .where(Post.id == post.id, Post.state == expected)
        .values(state=new, **values)
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount == 0:
        db.session.refresh(post)
        raise AlreadyModerated(_already_message(post))


def _resolve_flags(post: Post, now: datetime) -> int:
    result = db.session.execute(
        update(Flag)
        .where(Flag.post_id == post.id, Flag.resolved_at.is_(None))
        .values(resolved_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def _open_flag_count(post: Post) -> int:
    return db.session.scalar(
        select(func.count()).where(Flag.post_id == post.id, Flag.resolved_at.is_(None))
    )


def _checked_reason(reason: str | None, required: bool, field_name: str = "reason") -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationFailed(field_name, str(REASON_NEEDED))
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationFailed(
            field_name,
            _(
                "Keep the reason under %(limit)s characters.",
                limit=format_number(MAX_REASON_LENGTH),
            ),
        )
    return reason


# Posts ----------------------------------------------------------------------------------


def told_key(kind: Kind, post: Post) -> str:
    """Authors hear of each kind once per post: a post held a second time (hidden by flags
    after its approval) is not announced twice."""
    return f"moderation:{kind}:{post.id}"


def tell_author(post: Post, kind: Kind, now: datetime, detail: str = "", **options) -> None:
    """Tell the author where their post stands, on the site and (by their choice) by email.
    The detail is stored with the notification: it is written in the author's language."""
    with in_language_of(post.author_id):
        detail = str(detail)
    notify(
        post.author, kind, post=post, detail=detail, now=now, once_key=told_key(kind, post),
        **options,
    )  # fmt: skip


def _publish_held(post: Post, now: datetime) -> None:
    """A held post becomes visible: counted, its author trusted a little more and told, and
    the people who follow the discussion or were answered told now rather than when it was
    written."""
    _move(post, PostState.PENDING, PostState.PUBLISHED, moderated_at=now)
    discussions.count_published(post, +1, now=now)
    post.author.approved_post_count = User.approved_post_count + 1
    _resolve_flags(post, now)
    db.session.flush()
    tell_author(post, Kind.POST_APPROVED, now)
    notify_post_published(post, now)


def approve_post(actor: User, post: Post, now: datetime | None = None) -> Post:
    """Publish a held post, or keep a flagged one: its flags are resolved."""
    now = now or utc_now()
    permissions.require_moderate_post(actor, post)
    if post.state is PostState.PENDING:
        _publish_held(post, now)
    elif post.state is PostState.PUBLISHED and _resolve_flags(post, now):
        post.moderated_at = now
    else:
        raise AlreadyModerated(_already_message(post))
    record(actor, Action.APPROVE, now, post=post)
    db.session.flush()
    return post


def reject_post(actor: User, post: Post, reason: str, now: datetime | None = None) -> Post:
    """Withdraw a held or flagged post with a reason the author is told."""
    now = now or utc_now()
    permissions.require_moderate_post(actor, post)
    reason = _checked_reason(reason, required=True)
    # A published post is rejected only while readers' flags ask for a review.
    if not (post.is_pending or (post.is_published and _open_flag_count(post))):
        raise AlreadyModerated(_already_message(post))
    was_published = post.is_published
    _move(post, post.state, PostState.REJECTED, moderated_at=now, rejection_reason=reason)
    if was_published:
        discussions.count_published(post, -1)
    _resolve_flags(post, now)
    record(actor, Action.REJECT, now, post=post, reason=reason)
    db.session.flush()
    because = _l("The moderator’s reason: %(reason)s", reason=reason)
    tell_author(post, Kind.POST_REJECTED, now, detail=because)
    return post


def edit_and_approve_post(
    actor: User, post: Post, body: str, reason: str = "", now: datetime | None = None
) -> Post:
    """Correct a held post's text (its earlier text kept as a revision) and publish it."""
    now = now or utc_now()
    permissions.require_moderate_post(actor, post)
    if post.state is not PostState.PENDING:
        raise AlreadyModerated(_already_message(post))
    reason = _checked_reason(reason, required=False)
    before = post.body_md
    discussions.edit_post(actor, post, body, now)
    _publish_held(post, now)
    record(
        actor, Action.EDIT_APPROVE, now, post=post, reason=reason, before=before,
        after=post.body_md,
    )  # fmt: skip
    db.session.flush()
    return post


def delete_post(actor: User, post: Post, reason: str = "", now: datetime | None = None) -> Post:
    now = now or utc_now()
    permissions.require_moderate_post(actor, post)
    if post.is_deleted:
        raise AlreadyModerated(_already_message(post))
    reason = _checked_reason(reason, required=False)
    discussions.delete_post(actor, post, now)
    _resolve_flags(post, now)
    record(actor, Action.DELETE, now, post=post, reason=reason, before=post.body_md)
    db.session.flush()
    return post


@dataclass
class BulkResult:
    done: list[Post] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def moderate_many(
    actor: User, posts: list[Post], action: str, reason: str = "", now: datetime | None = None
) -> BulkResult:
    """Approve or reject several posts; those another moderator took first are skipped."""
    now = now or utc_now()
    if action not in ("approve", "reject"):
        raise ValidationFailed("action", _("Choose approve or reject."))
    if action == "reject":
        reason = _checked_reason(reason, required=True)
    result = BulkResult()
    for post in posts:
        try:
            if action == "approve":
                approve_post(actor, post, now)
            else:
                reject_post(actor, post, reason, now)
        except (AlreadyModerated, PermissionDenied) as refusal:
            result.skipped.append(
                _("Post %(id)s: %(reason)s", id=post.id, reason=refusal.description)
            )
        else:
            result.done.append(post)
    return result


def reject_pending_of(
    actor: User, author: User, reason: str, now: datetime | None = None
) -> BulkResult:
    """Reject every post of ``author`` waiting in the queues ``actor`` moderates."""
    reason = _checked_reason(reason, required=True)
    waiting = db.session.scalars(
        select(Post)
        .where(Post.author_id == author.id, Post.state == PostState.PENDING)
        .order_by(Post.id)
    ).all()
    mine = [post for post in waiting if permissions.can_moderate_post(actor, post)]
    if not mine:
        permissions.require_moderate(actor)
    return moderate_many(actor, mine, "reject", reason, now)


# Flags ----------------------------------------------------------------------------------


def _hide(post: Post, label: str, actor: User | None, now: datetime) -> None:
    """Take a published post out of view until a moderator reviews it."""
    _move(post, PostState.PUBLISHED, PostState.PENDING)
    discussions.count_published(post, -1)
    post.hold_reasons = "\n".join([*post.hold_labels, label])
    record(actor, Action.HIDE, now, post=post, reason=label)
    tell_author(post, Kind.POST_HELD, now, detail=HIDDEN_DETAIL)


def flag_post(
    actor: User, post: Post, reason: str, note: str = "", now: datetime | None = None
) -> Flag:
    """A reader reports a post, once. Enough distinct readers, or one moderator, hide it."""
    now = now or utc_now()
    permissions.require_flag_post(actor, post)
    check_read_only(actor, effective_policy(post.discussion))
    try:
        flag_reason = FlagReason(reason)
    except ValueError:
        raise ValidationFailed("reason", str(FLAG_REASON_NEEDED)) from None
    note = (note or "").strip()
    if flag_reason is FlagReason.OTHER and not note:
        raise ValidationFailed("note", _("Say what is wrong with the post."))
    if len(note) > MAX_REASON_LENGTH:
        raise ValidationFailed(
            "note",
            _("Keep the note under %(limit)s characters.", limit=format_number(MAX_REASON_LENGTH)),
        )
    existing = db.session.scalar(
        select(Flag).where(Flag.post_id == post.id, Flag.user_id == actor.id)
    )
    if existing is not None:
        raise ValidationFailed(None, _("You have already flagged this post."))
    flag = Flag(post_id=post.id, user_id=actor.id, reason=flag_reason, note=note, created_at=now)
    db.session.add(flag)
    db.session.flush()
    if permissions.can_moderate_post(actor, post):
        _hide(post, HELD_BY_MODERATOR.format(flag.reason_label.lower()), actor, now)
    else:
        threshold = effective_policy(post.discussion).flag_threshold
        count = _open_flag_count(post)
        if count >= threshold:
            _hide(post, HELD_BY_FLAGS.format(count), None, now)
    db.session.flush()
    return flag


# Discussions and people -----------------------------------------------------------------


def lock_discussion(
    actor: User, discussion: Discussion, locked: bool, reason: str = "", now: datetime | None = None
) -> None:
    now = now or utc_now()
    permissions.require_moderate_discussion(actor, discussion)
    reason = _checked_reason(reason, required=False)
    discussions.set_discussion_locked(actor, discussion, locked)
    title = discussion.article.title if discussion.article else f"discussion {discussion.id}"
    record(
        actor, Action.LOCK if locked else Action.UNLOCK, now, discussion=discussion,
        reason=reason, subject=f"Discussion of “{title}”",
    )  # fmt: skip
    db.session.flush()


def suspend_user(
    actor: User, user: User, until: datetime, reason: str, now: datetime | None = None
) -> Penalty:
    """Read-only until ``until``; the suspension ends by itself."""
    now = now or utc_now()
    permissions.require_penalise(actor, user)
    reason = _checked_reason(reason, required=True)
    if until <= now:
        raise ValidationFailed("until", _("Choose a date in the future."))
    return _penalise(actor, user, PenaltyKind.SUSPENSION, until, reason, now)


def ban_user(actor: User, user: User, reason: str, now: datetime | None = None) -> Penalty:
    now = now or utc_now()
    permissions.require_penalise(actor, user)
    reason = _checked_reason(reason, required=True)
    return _penalise(actor, user, PenaltyKind.BAN, None, reason, now)


def _penalise(
    actor: User,
    user: User,
    kind: PenaltyKind,
    until: datetime | None,
    reason: str,
    now: datetime,
) -> Penalty:
    penalty = Penalty(
        user_id=user.id, moderator_id=actor.id, kind=kind, reason=reason, ends_at=until,
        created_at=now,
    )  # fmt: skip
    db.session.add(penalty)
    # The account's status is what every permission check reads.
    user.status = UserStatus.BANNED
    user.banned_until = until
    action = Action.SUSPEND if kind is PenaltyKind.SUSPENSION else Action.BAN
    until_text = f" until {until:%d %B %Y %H:%M} UTC" if until else ""
    record(
        actor, action, now, target=user, reason=reason,
        subject=f"{user.display_name}{until_text}",
    )  # fmt: skip
    db.session.flush()
    return penalty


def ban_from_group(
    actor: User, user: User, group: Group, reason: str, now: datetime | None = None
) -> Penalty:
    """Ban ``user`` from posting in ``group``'s discussions and sessions' threads; they may
    still read what the group shows them, and post elsewhere. They cannot rejoin by themselves.
    """
    now = now or utc_now()
    permissions.require_ban_from_group(actor, user, group.id)
    reason = _checked_reason(reason, required=True)
    membership = db.session.scalar(
        select(Membership).where(Membership.group_id == group.id, Membership.user_id == user.id)
    )
    if membership is not None and membership.state is MemberState.BANNED:
        raise ValidationFailed(
            None,
            _(
                "%(name)s is already banned from %(group)s.",
                name=user.display_name,
                group=group.name,
            ),
        )
    if membership is None:
        # Created for the ban, and given its time: lifting the ban removes it again.
        membership = Membership(
            group_id=group.id, user_id=user.id, role=MemberRole.MEMBER, created_at=now
        )
        db.session.add(membership)
    elif membership.state is MemberState.PENDING:
        # A request to join is not membership: the ban answers it, and the row stands for the
        # ban alone (given its time), so lifting the ban does not make them a member.
        membership.created_at = now
    membership.state = MemberState.BANNED
    penalty = Penalty(
        user_id=user.id, moderator_id=actor.id, group_id=group.id, kind=PenaltyKind.BAN,
        reason=reason, created_at=now,
    )  # fmt: skip
    db.session.add(penalty)
    record(
        actor, Action.GROUP_BAN, now, group_id=group.id, target=user, reason=reason,
        subject=f"{user.display_name} from {group.name}",
    )  # fmt: skip
    db.session.flush()
    return penalty


def lift_group_ban(actor: User, user: User, group: Group, now: datetime | None = None) -> Penalty:
    """Let ``user`` post in ``group`` again: a member goes back to being one; someone banned
    without having joined is no longer on the group's list (they may join as anyone may).
    Returns the ban that was lifted, which now ends at ``now``."""
    now = now or utc_now()
    permissions.require_lift_group_ban(actor, user, group.id)
    membership = db.session.scalar(
        select(Membership).where(Membership.group_id == group.id, Membership.user_id == user.id)
    )
    penalty = db.session.scalar(
        select(Penalty)
        .where(Penalty.user_id == user.id, Penalty.group_id == group.id)
        .order_by(Penalty.id.desc())
        .limit(1)
    )
    if membership is None or membership.state is not MemberState.BANNED or penalty is None:
        raise ValidationFailed(
            None,
            _("%(name)s is not banned from %(group)s.", name=user.display_name, group=group.name),
        )
    # ban_from_group gives a membership it creates the ban's own time.
    if membership.created_at == penalty.created_at:
        db.session.delete(membership)
    else:
        membership.state = MemberState.ACTIVE
    penalty.ends_at = now
    record(
        actor, Action.GROUP_UNBAN, now, group_id=group.id, target=user,
        subject=f"Ban of {user.display_name} from {group.name} lifted",
    )  # fmt: skip
    db.session.flush()
    return penalty


# Warnings -------------------------------------------------------------------------------


def warn_author(
    actor: User, post: Post, message: str, now: datetime | None = None
) -> AuthorWarning:
    """Warn a post's author; they post again only after acknowledging the warning."""
    now = now or utc_now()
    permissions.require_warn_author(actor, post)
    message = (message or "").strip()
    if not message:
        raise ValidationFailed("message", str(WARNING_NEEDED))
    if len(message) > MAX_WARNING_LENGTH:
        raise ValidationFailed(
            "message",
            str(WARNING_TOO_LONG),
        )
    warning = AuthorWarning(
        user_id=post.author_id, moderator_id=actor.id, post_id=post.id,
        group_id=post.discussion.group_id, message=message, created_at=now,
    )  # fmt: skip
    db.session.add(warning)
    record(actor, Action.WARN, now, post=post, reason=message)
    db.session.flush()
    return warning


def acknowledge_warning(
    actor: User, warning: AuthorWarning, now: datetime | None = None
) -> AuthorWarning:
    """The author confirms they read the warning; doing it twice changes nothing."""
    now = now or utc_now()
    permissions.require_acknowledge_warning(actor, warning)
    if warning.acknowledged_at is not None:
        return warning
    warning.acknowledged_at = now
    record(
        actor, Action.ACKNOWLEDGE, now, post=warning.post, group_id=warning.group_id,
        target=actor, reason=warning.message, subject=f"Warning to {actor.display_name}",
    )  # fmt: skip
    db.session.flush()
    return warning


# Featured posts -------------------------------------------------------------------------


def feature_post(
    actor: User, post: Post, featured: bool = True, now: datetime | None = None
) -> bool:
    """Pin a published post at the top of its discussion, or unpin it. False when it already
    was as asked (nothing is logged then)."""
    now = now or utc_now()
    permissions.require_moderate_post(actor, post)
    existing = db.session.get(FeaturedPost, post.id)
    if featured == (existing is not None):
        return False
    if featured:
        permissions.require_feature_post(actor, post)
        db.session.add(
            FeaturedPost(
                post_id=post.id, discussion_id=post.discussion_id, featured_by_id=actor.id,
                created_at=now,
            )
        )  # fmt: skip
    else:
        db.session.delete(existing)
    record(actor, Action.FEATURE if featured else Action.UNFEATURE, now, post=post)
    db.session.flush()
    return True


# Policy ---------------------------------------------------------------------------------


def update_site_policy(actor: User, values: dict, now: datetime | None = None) -> Policy:
    """Change the site's policy; words are kept one a line."""
    now = now or utc_now()
    permissions.require_edit_site_policy(actor)
    return _update_policy(actor, Policy(), values, now, "the site")


def update_scoped_policy(
    actor: User,
    values: dict,
    *,
    discussion: Discussion | None = None,
    group_id: int | None = None,
    now: datetime | None = None,
) -> Policy:
    """Override the site's policy for one group's or one discussion's posts (None inherits).

    A discussion's moderators set its policy; a group's moderators and organisers, the group's.
    """
    now = now or utc_now()
    if discussion is not None:
        permissions.require_moderate_discussion(actor, discussion)
        scope = {"discussion_id": discussion.id}
        name = f"discussion {discussion.id}"
    elif group_id is not None:
        permissions.require_edit_group_policy(actor, group_id)
        scope = {"group_id": group_id}
        name = f"group {group_id}"
    else:
        raise ValueError("a discussion or a group is needed")
    values = {k: v for k, v in values.items() if k != "read_only"}
    return _update_policy(actor, Policy(**scope), values, now, name)


def _update_policy(actor: User, fresh: Policy, values: dict, now: datetime, name: str) -> Policy:
    statement = select(Policy).where(
        Policy.group_id.is_(None) if fresh.group_id is None else Policy.group_id == fresh.group_id,
        Policy.discussion_id.is_(None)
        if fresh.discussion_id is None
        else Policy.discussion_id == fresh.discussion_id,
    )
    row = db.session.scalar(statement) or fresh
    db.session.add(row)
    changes = []
    for name_, value in values.items():
        if name_ not in DEFAULTS:
            raise ValueError(f"unknown policy setting {name_}")
        if name_ in ("banned_words", "suspect_words") and value is not None:
            value = "\n".join(word_list(value))
        if name_ in ("new_user_posts", "flag_threshold") and value is not None and value < 0:
            raise ValidationFailed(name_, _("Use zero or a positive number."))
        if name_ == "flag_threshold" and value == 0:
            raise ValidationFailed(name_, _("At least one flag is needed to hide a post."))
        if getattr(row, name_) != value:
            changes.append(f"{name_}: {getattr(row, name_)!r} → {value!r}")
            setattr(row, name_, value)
    if changes:
        record(actor, Action.POLICY, now, reason="\n".join(changes), subject=f"Policy of {name}")
    db.session.flush()
    return row
