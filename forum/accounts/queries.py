"""Reads of accounts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, bindparam, func, select

from forum.accounts.models import User
from forum.core.errors import NotVisible
from forum.core.memo import request_memo
from forum.extensions import db

# Facts about the signed-in person that every page shows (the moderation state behind the
# navigation and the banners, the unread notifications badge) are read in the same statement
# as their row when their session names them, so a signed-in page pays one query for all of
# them. Each domain registers its columns (scalar subqueries correlated on ``users.id``) with
# ``read_with_session_user`` and finds what they answered with ``session_user_read``; the
# answers hold until the request writes (forum.core.memo), then the domain reads afresh.
_SESSION_READS: dict[str, Callable[[], Sequence[ColumnElement]]] = {}
_statement: list[tuple[Select, dict[str, slice]]] = []
_MEMO = "session_user"
NOT_READ = object()


def read_with_session_user(name: str, columns: Callable[[], Sequence[ColumnElement]]) -> None:
    """Read ``columns()`` with the signed-in person's row; ``session_user_read(user, name)``
    gives back their values as a tuple."""
    _SESSION_READS[name] = columns
    _statement.clear()


def _session_statement() -> tuple[Select, dict[str, slice]]:
    # Built once: a statement made afresh costs more Python time than it takes to run.
    if not _statement:
        columns: list[ColumnElement] = []
        spans: dict[str, slice] = {}
        for name, make in _SESSION_READS.items():
            made = list(make())
            spans[name] = slice(len(columns) + 1, len(columns) + 1 + len(made))
            columns.extend(made)
        statement = select(User, *columns).where(User.id == bindparam("user_id"))
        _statement.append((statement, spans))
    return _statement[0]


def get_user_for_session(session_id: str) -> User | None:
    """The user a session or remember-me cookie names, if that session is still current."""
    user_id, _, version = session_id.partition(":")
    try:
        wanted = int(user_id)
    except ValueError:
        return None
    statement, spans = _session_statement()
    row = db.session.execute(statement, {"user_id": wanted}).first()
    if row is None or str(row[0].session_version) != version:
        return None
    memo = request_memo(_MEMO)
    if memo is not None:
        memo[row[0].id] = {name: tuple(row[span]) for name, span in spans.items()}
    return row[0]


def session_user_read(user, name: str) -> Any:
    """What ``name``'s columns answered when ``user``'s session loaded them in this request, or
    ``NOT_READ`` (another user, no request, or the request has written since)."""
    memo = request_memo(_MEMO)
    if not memo:
        return NOT_READ
    return memo.get(getattr(user, "id", None), {}).get(name, NOT_READ)


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
