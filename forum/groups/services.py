"""The rules of groups.

``actor=None`` means the operator at the command line, who may do anything; every other
actor goes through the permission checks.
"""

from __future__ import annotations

from sqlalchemy import select

from forum.accounts.models import User
from forum.core.errors import ValidationFailed
from forum.core.text import slugify
from forum.extensions import db
from forum.groups import permissions
from forum.groups.models import Group, JoinPolicy, MemberRole, Membership, MemberState, Visibility

MAX_DESCRIPTION = 5000


def ensure_group(name: str) -> Group:
    """The group called ``name``, created (public, open) if it does not exist yet.

    Found by the slug of its name, so "Great Decisions Discussion group" and the same words
    with other spacing or capitals are one group. Flushes; the caller commits.
    """
    name = " ".join(name.split())
    slug = slugify(name)
    group = db.session.scalar(select(Group).where(Group.slug == slug))
    if group is None:
        group = Group(
            slug=slug,
            name=name,
            description="",
            visibility=Visibility.PUBLIC,
            join_policy=JoinPolicy.OPEN,
        )
        db.session.add(group)
        db.session.flush()
    return group


def add_member(
    actor: User | None, group: Group, user: User, role: MemberRole | str = MemberRole.MEMBER
) -> Membership:
    """Make ``user`` an active member of ``group`` with ``role``.

    Adding someone who is already there changes their role; a pending request is accepted.
    A member banned from the group stays banned: lifting a ban is a moderation decision.
    """
    if actor is not None:
        permissions.require_manage_members(actor, group)
    try:
        role = MemberRole(role)
    except ValueError:
        choices = ", ".join(r.value for r in MemberRole)
        raise ValidationFailed("role", f"Unknown role {role!r}: choose one of {choices}.") from None
    membership = permissions.membership_of(user, group)
    if membership is not None and membership.state is MemberState.BANNED:
        raise ValidationFailed("user", f"{user.display_name} is banned from {group.name}.")
    if membership is None:
        membership = Membership(
            group_id=group.id, user_id=user.id, role=role, state=MemberState.ACTIVE
        )
        db.session.add(membership)
    else:
        membership.role = role
        membership.state = MemberState.ACTIVE
    db.session.flush()
    return membership


def update_group(actor: User | None, group: Group, *, description: str | None = None) -> Group:
    """Change what the group says about itself."""
    if actor is not None:
        permissions.require_edit_group(actor, group)
    if description is not None:
        description = description.strip()
        if len(description) > MAX_DESCRIPTION:
            raise ValidationFailed(
                "description", f"Keep the description under {MAX_DESCRIPTION} characters."
            )
        group.description = description
    db.session.flush()
    return group
