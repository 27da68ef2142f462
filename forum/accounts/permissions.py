"""Who may do what with accounts; also the predicates other domains build on."""

from __future__ import annotations

from forum.accounts.models import User
from forum.core.errors import PermissionDenied


def is_signed_in(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def is_active_member(user) -> bool:
    """Signed in, email verified and not banned: may take part."""
    return is_signed_in(user) and user.is_verified and not user.is_banned()


def is_admin(user) -> bool:
    return is_signed_in(user) and user.is_admin


def is_moderator(user) -> bool:
    return is_signed_in(user) and user.is_moderator


def can_manage_users(user) -> bool:
    return is_admin(user)


def require_manage_users(user) -> None:
    if not can_manage_users(user):
        raise PermissionDenied("Only administrators can manage accounts.")


def can_edit_profile(user, profile: User) -> bool:
    return is_signed_in(user) and (user.id == profile.id or is_admin(user))
