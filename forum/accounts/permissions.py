"""Who may do what with accounts; also the predicates other domains build on."""

from __future__ import annotations

from flask_babel import gettext as _

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


def is_self(user, account: User) -> bool:
    return is_signed_in(user) and user.id == account.id


def can_manage_users(user) -> bool:
    return is_admin(user)


def require_manage_users(user) -> None:
    if not can_manage_users(user):
        raise PermissionDenied(_("Only administrators can manage accounts."))


def can_edit_profile(user, profile: User) -> bool:
    """Display name, bio and preferences: the account's owner, or an administrator."""
    return is_self(user, profile) or is_admin(user)


def require_edit_profile(user, profile: User) -> None:
    if not can_edit_profile(user, profile):
        raise PermissionDenied(_("You can only change your own settings."))


def can_change_credentials(user, account: User) -> bool:
    """Password and email address: only the owner, who proves it with the current password."""
    return is_self(user, account)


def require_change_credentials(user, account: User) -> None:
    if not can_change_credentials(user, account):
        raise PermissionDenied(_("Only the account's owner can change its password or email."))


def can_resend_verification(user) -> bool:
    return is_signed_in(user) and not user.is_verified


def can_export_data(user, account: User) -> bool:
    """A member's data goes to the member only."""
    return is_self(user, account)


def require_export_data(user, account: User) -> None:
    if not can_export_data(user, account):
        raise PermissionDenied(_("Only the account's owner can download its data."))


def can_delete_account(user, account: User) -> bool:
    """The owner, or an administrator (not their own account from the admin area)."""
    return (is_self(user, account) or is_admin(user)) and not account.is_deleted


def require_delete_account(user, account: User) -> None:
    if not can_delete_account(user, account):
        raise PermissionDenied(_("You cannot delete this account."))
