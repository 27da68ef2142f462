"""Reads of accounts."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from forum.accounts.models import User
from forum.core.errors import NotVisible
from forum.extensions import db


def get_user_for_session(session_id: str) -> User | None:
    """The user a session or remember-me cookie names, if that session is still current."""
    user_id, _, version = session_id.partition(":")
    try:
        user = db.session.get(User, int(user_id))
    except ValueError:
        return None
    if user is None or str(user.session_version) != version:
        return None
    return user


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def find_user_by_username(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def username_taken(username: str) -> bool:
    return db.session.scalar(select(func.count()).where(User.username == username)) > 0


def get_profile(username: str) -> User:
    """The account at /users/<username>, or 404."""
    user = find_user_by_username(username)
    if user is None or user.is_deleted:
        raise NotVisible(_("There is no member with that name."))
    return user
