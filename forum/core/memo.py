"""What a request has read and may be asked again, remembered until the database is written.

A page asks the same questions many times (the viewer's membership of a group in the view and
then in every button; the signed-in person's moderation state in the navigation, the banners
and the rules). A domain keeps its answers in ``request_memo(name)``: a dict for this request,
emptied by any write through a session (a flush, a commit, a rollback, a bulk UPDATE or
DELETE) and whenever changes wait to be flushed (a query would autoflush them), so a check
that follows a service in the same request sees what the service changed.
"""

from __future__ import annotations

from flask import g, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from forum.extensions import db

_PREFIX = "_memo_"
_NAMES: set[str] = set()


def request_memo(name: str) -> dict | None:
    """This request's memo called ``name`` (empty at first), or None outside a request."""
    if not has_request_context():
        return None
    _NAMES.add(name)
    key = _PREFIX + name
    session = db.session
    if session.new or session.deleted or session.dirty:
        g.pop(key, None)
    return g.setdefault(key, {})


def _forget(*_args) -> None:
    if has_request_context():
        for name in _NAMES:
            g.pop(_PREFIX + name, None)


def _forget_after_bulk_write(state) -> None:
    # Anything but a SELECT may write: a bulk UPDATE or DELETE, a Core INSERT, raw SQL.
    if not state.is_select:
        _forget()


event.listen(Session, "after_flush", _forget)
event.listen(Session, "after_commit", _forget)
event.listen(Session, "after_soft_rollback", _forget)
event.listen(Session, "do_orm_execute", _forget_after_bulk_write)
