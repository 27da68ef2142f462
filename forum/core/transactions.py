"""How a request's transaction ends when the view left it open.

A view that writes commits what it wrote; whatever it left open is rolled back when the
request ends (Flask-SQLAlchemy removes the session). On PostgreSQL a rollback also makes
psycopg forget every statement it had prepared on that connection, so a site whose pages only
read would have every statement planned anew on every request: about a quarter of a
millisecond of the server's time each, as much as running it. A transaction that ran nothing
but SELECTs is therefore committed instead, which ends it the same way and keeps the plans.
Anything else, or a request that failed, is rolled back as before.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from forum.extensions import db

# Set on a connection by any statement that is not a plain SELECT, until its transaction ends.
NOT_ONLY_READS = "transaction_not_only_reads"


@event.listens_for(Engine, "before_cursor_execute")
def _note_statement(conn, cursor, statement, parameters, context, executemany) -> None:
    if statement.lstrip()[:6].lower() != "select":
        conn.info[NOT_ONLY_READS] = True


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _transaction_ended(conn) -> None:
    # A connection the server dropped has no info left to forget (and asking raises).
    if not conn.invalidated:
        conn.info.pop(NOT_ONLY_READS, None)


def _end_read_only(exc: BaseException | None) -> None:
    if exc is not None or not db.session.registry.has():
        return
    session = db.session()
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return
    if session.connection().info.get(NOT_ONLY_READS):
        return
    # Nothing was written, so what was read stays as true as a rollback would leave it: a
    # streamed response still reading loaded objects after this must find them loaded.
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def init_app(app: Flask) -> None:
    # Registered after Flask-SQLAlchemy's own teardown, so it runs before it: teardowns run
    # in the reverse order of their registration.
    app.teardown_appcontext(_end_read_only)
