"""Who may see and change notifications and the mail status. Pure functions."""

from __future__ import annotations

from flask_babel import gettext as _

from forum.accounts.models import User
from forum.accounts.permissions import is_admin, is_self, is_signed_in
from forum.core.errors import PermissionDenied


def can_manage_preferences(user, account: User) -> bool:
    return is_signed_in(user) and (is_self(user, account) or is_admin(user))


def require_manage_preferences(user, account: User) -> None:
    if not can_manage_preferences(user, account):
        raise PermissionDenied(_("Only the account's owner can change its email preferences."))


def can_view_mail_status(user) -> bool:
    return is_admin(user)


def require_view_mail_status(user) -> None:
    if not can_view_mail_status(user):
        raise PermissionDenied(_("Only administrators can see the mail status."))
