"""Who may do what with articles."""

from __future__ import annotations

from flask_babel import gettext as _

from forum.accounts.permissions import is_admin
from forum.core.errors import PermissionDenied


def can_edit_articles(user) -> bool:
    return is_admin(user)


def require_edit_articles(user) -> None:
    if not can_edit_articles(user):
        raise PermissionDenied(_("Only administrators can create and edit articles."))


def can_manage_feeds(user) -> bool:
    return is_admin(user)


def require_manage_feeds(user) -> None:
    if not can_manage_feeds(user):
        raise PermissionDenied(_("Only administrators can choose the feeds the site follows."))
