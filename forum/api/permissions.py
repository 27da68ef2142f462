"""Who may do what with API tokens and webhooks, and what a token's scope allows."""

from __future__ import annotations

from flask_babel import gettext as _

from forum.accounts.permissions import is_admin, is_signed_in
from forum.api.models import ApiToken
from forum.core.errors import PermissionDenied


def can_manage_tokens(user) -> bool:
    """Any signed-in person may make tokens for their own account."""
    return is_signed_in(user)


def require_manage_tokens(user) -> None:
    if not can_manage_tokens(user):
        raise PermissionDenied(_("Log in to manage your API tokens."))


def can_revoke_token(user, token: ApiToken) -> bool:
    return is_signed_in(user) and token.user_id == user.id


def require_revoke_token(user, token: ApiToken) -> None:
    if not can_revoke_token(user, token):
        raise PermissionDenied(_("You can only revoke your own tokens."))


def can_manage_webhooks(user) -> bool:
    return is_admin(user)


def require_manage_webhooks(user) -> None:
    if not can_manage_webhooks(user):
        raise PermissionDenied(_("Only administrators can configure webhooks."))


def can_write_with(token: ApiToken | None) -> bool:
    """A request signed in by cookie (no token) writes as the person; a token needs its scope."""
    return token is None or token.can_write


def require_write_with(token: ApiToken | None) -> None:
    if not can_write_with(token):
        raise PermissionDenied("This token is read-only: make a token with the write scope.")
