"""Who may do what with articles."""

from __future__ import annotations

from forum.accounts.permissions import is_admin
from forum.core.errors import PermissionDenied


def can_edit_articles(user) -> bool:
    return is_admin(user)


def require_edit_articles(user) -> None:
    if not can_edit_articles(user):
        raise PermissionDenied("Only administrators can create and edit articles.")
