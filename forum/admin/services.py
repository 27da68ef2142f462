"""The admin area's actions. Each checks that the actor administers the site, reuses the
service of the domain it acts in, and writes one row of the audit log (the moderation log)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update

from forum.accounts import privacy
from forum.accounts import services as accounts
from forum.accounts.models import Role, User
from forum.admin import permissions, settings
from forum.admin.models import GroupArchive, SiteSetting
from forum.articles.models import Article
from forum.core.db import utc_now
from forum.core.errors import ValidationFailed
from forum.discussions.models import Discussion
from forum.extensions import db
from forum.groups import services as groups
from forum.groups.models import Group, JoinPolicy, MemberRole
from forum.moderation import services as moderation
from forum.moderation.models import Action


@dataclass
class SiteValues:
    """What the settings form submits."""

    site_name: str
    site_description: str
    registration: str
    auto_close_days: int | None
    embed_sites: str
    ip_retention_days: int | None
    mode: str
    new_user_posts: int | None
    flag_threshold: int | None
    hold_links: bool
    read_only: bool


def _log(actor: User | None, now: datetime, subject: str, **values) -> None:
    moderation.record(actor, Action.ADMIN, now, subject=subject, **values)


# Settings -----------------------------------------------------------------------------------


def save_settings(actor: User, values: SiteValues, now: datetime | None = None) -> list[str]:
    """Store the site's settings; the moderation ones go to the site's moderation policy.
    Returns what changed, one line a setting (also the log's reason)."""
    now = now or utc_now()
    permissions.require_administer(actor)
    try:
        registration = settings.Registration(values.registration)
    except ValueError:
        raise ValidationFailed("registration", _("Choose how people register.")) from None
    stored = {
        "site_name": settings.check_site_name(values.site_name),
        "site_description": settings.check_description(values.site_description),
        "registration": registration.value,
        "auto_close_days": settings.check_days(values.auto_close_days, "auto_close_days"),
        "embed_sites": settings.check_embed_sites(values.embed_sites),
        "ip_retention_days": settings.check_days(values.ip_retention_days, "ip_retention_days"),
    }
    changes = []
    for name, value in stored.items():
        current = settings.get_setting(name)
        if value == current:
            continue
        row = db.session.get(SiteSetting, name) or SiteSetting(name=name)
        row.value = json.dumps(value)
        row.updated_at = now
        db.session.add(row)
        changes.append(f"{name}: {current!r} → {value!r}")
    if changes:
        _log(actor, now, "Site settings", reason="\n".join(changes))
    moderation.update_site_policy(
        actor,
        {
            "mode": values.mode,
            "new_user_posts": values.new_user_posts,
            "flag_threshold": values.flag_threshold,
            "hold_links": values.hold_links,
            "read_only": values.read_only,
        },
        now,
    )
    db.session.flush()
    settings.forget_cached()
    return changes


# People -------------------------------------------------------------------------------------


def verify_user(actor: User, user: User, now: datetime | None = None) -> User:
    now = now or utc_now()
    permissions.require_administer(actor)
    if not user.is_verified:
        accounts.mark_verified(actor, user, now)
        _log(actor, now, f"Verified the email address of {user.display_name}", target=user)
    return user


def change_role(actor: User, user: User, role: str, now: datetime | None = None) -> User:
    now = now or utc_now()
    permissions.require_administer(actor)
    role = accounts.check_role(role)
    if user.id == actor.id and role is not Role.ADMIN:
        # Otherwise the last admin could lock everyone out of this page.
        raise ValidationFailed(
            "role", _("You cannot take away your own administrator role; ask another admin.")
        )
    if role is not user.role:
        before = user.role.value
        accounts.set_role(actor, user, role)
        _log(
            actor, now, f"Role of {user.display_name}", target=user,
            reason=f"{before} → {role.value}",
        )  # fmt: skip
    return user


def delete_user(
    actor: User, user: User, keep_posts: bool, now: datetime | None = None
) -> privacy.DeletionReport:
    now = now or utc_now()
    permissions.require_administer(actor)
    if user.id == actor.id:
        raise ValidationFailed(
            None, _("Delete your own account from your settings, not from the admin area.")
        )
    # Logged first, under the account's number only: the log keeps no personal data.
    _log(
        actor, now, f"Deleted account {user.id}",
        reason="posts kept as “deleted member”" if keep_posts else "posts removed",
    )  # fmt: skip
    return privacy.delete_account(actor, user, keep_posts=keep_posts, now=now)


# Articles -----------------------------------------------------------------------------------


def set_article_hidden(
    actor: User, article: Article, hidden: bool, now: datetime | None = None
) -> Article:
    """Hide an article from everyone but admins (its discussion with it), or show it again."""
    now = now or utc_now()
    permissions.require_administer(actor)
    if article.is_hidden != hidden:
        article.is_hidden = hidden
        article.updated_at = now
        verb = "Hid" if hidden else "Showed again"
        _log(actor, now, f"{verb} the article “{article.title}”")
    db.session.flush()
    return article


def set_discussion_closed(
    actor: User, discussion: Discussion, closed: bool, now: datetime | None = None
) -> None:
    """Close or reopen a discussion: the moderation service does it and logs it."""
    permissions.require_administer(actor)
    if discussion.is_locked != closed:
        moderation.lock_discussion(actor, discussion, closed, now=now)


def close_stale_discussions(now: datetime | None = None) -> int:
    """Close the public discussions of articles published more than ``auto_close_days`` ago
    (the worker runs this every hour; 0 days closes nothing). Returns how many closed."""
    now = now or utc_now()
    days = settings.get_setting("auto_close_days")
    if not days:
        return 0
    cutoff = now - timedelta(days=days)
    stale = list(
        db.session.scalars(
            select(Discussion)
            .join(Article, Discussion.article_id == Article.id)
            .where(
                Discussion.group_id.is_(None),
                Discussion.is_locked.is_(False),
                Article.published_at < cutoff,
            )
        )
    )
    for discussion in stale:
        discussion.is_locked = True
        moderation.record(
            None, Action.LOCK, now, discussion=discussion,
            subject=f"Discussion of “{discussion.article.title}”",
            reason=f"Closed automatically {days} days after the article was published.",
        )  # fmt: skip
    db.session.flush()
    return len(stale)


# Groups -------------------------------------------------------------------------------------


def create_group(actor: User, values: groups.GroupInput, now: datetime | None = None) -> Group:
    now = now or utc_now()
    permissions.require_administer(actor)
    group = groups.create_group(actor, values)
    _log(actor, now, f"Created the group {group.name}")
    return group


def appoint_organiser(actor: User, group: Group, user: User, now: datetime | None = None):
    now = now or utc_now()
    permissions.require_administer(actor)
    membership = groups.add_member(actor, group, user, MemberRole.ORGANISER)
    _log(actor, now, f"Appointed an organiser of {group.name}", target=user)
    return membership


def archive_group(actor: User, group: Group, now: datetime | None = None) -> GroupArchive:
    """Stop a group: nobody joins any more (by invitation only) and its discussions close.
    What was said stays readable."""
    now = now or utc_now()
    permissions.require_administer(actor)
    archive = db.session.get(GroupArchive, group.id)
    if archive is not None:
        return archive
    group.join_policy = JoinPolicy.INVITE
    db.session.execute(
        update(Discussion)
        .where(Discussion.group_id == group.id, Discussion.is_locked.is_(False))
        .values(is_locked=True)
        .execution_options(synchronize_session="fetch")
    )
    archive = GroupArchive(group_id=group.id, archived_at=now, archived_by_id=actor.id)
    db.session.add(archive)
    _log(actor, now, f"Archived the group {group.name}")
    db.session.flush()
    return archive


def log_invitation(actor: User, email: str, now: datetime | None = None) -> None:
    """The invitation is queued by the view; the log keeps no address (it outlives accounts)."""
    permissions.require_administer(actor)
    _log(actor, now or utc_now(), "Sent an invitation to register")
