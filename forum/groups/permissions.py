"""Who may do what with groups: functions of the actor and the group, which read at most the
actor's own membership row."""

from __future__ import annotations

from sqlalchemy import select

from forum.accounts.permissions import is_admin, is_signed_in
from forum.core.errors import PermissionDenied
from forum.extensions import db
from forum.groups.models import Group, MemberRole, Membership, MemberState, Visibility


def membership_of(user, group: Group) -> Membership | None:
    """The user's membership row in ``group``, whatever its state."""
    if not is_signed_in(user) or group.id is None:
        return None
    return db.session.scalar(
        select(Membership).where(Membership.group_id == group.id, Membership.user_id == user.id)
    )


def is_group_member(user, group: Group) -> bool:
    membership = membership_of(user, group)
    return membership is not None and membership.state is MemberState.ACTIVE


def is_group_organiser(user, group: Group) -> bool:
    membership = membership_of(user, group)
    return (
        membership is not None
        and membership.state is MemberState.ACTIVE
        and membership.role is MemberRole.ORGANISER
    )


def can_view_group(user, group: Group) -> bool:
    """Public groups are open to all; a members-only group to its members and site admins."""
    if group.visibility is Visibility.PUBLIC:
        return True
    return is_admin(user) or is_group_member(user, group)


def can_manage_members(user, group: Group) -> bool:
    return is_admin(user) or is_group_organiser(user, group)


def require_manage_members(user, group: Group) -> None:
    if not can_manage_members(user, group):
        raise PermissionDenied("Only the group's organisers and site admins can manage members.")


def can_edit_group(user, group: Group) -> bool:
    return is_admin(user) or is_group_organiser(user, group)


def require_edit_group(user, group: Group) -> None:
    if not can_edit_group(user, group):
        raise PermissionDenied("Only the group's organisers and site admins can edit the group.")
