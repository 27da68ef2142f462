"""Who may use the admin area: administrators whose account is in good standing."""

from __future__ import annotations

from flask_babel import gettext as _

from forum.accounts.permissions import is_admin
from forum.core.errors import PermissionDenied


def can_administer(user) -> bool:
    return is_admin(user) and not user.is_banned()


def require_administer(user) -> None:
    if not can_administer(user):
        raise PermissionDenied(_("Only administrators can use the admin area."))
