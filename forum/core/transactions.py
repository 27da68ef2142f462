"""When a transaction begins on PostgreSQL: at the first statement that may write.

psycopg opens a transaction before the first statement on a connection (BEGIN, a round trip
of its own) and the end of a request closes it (COMMIT or ROLLBACK, another), and a ROLLBACK
also makes it forget every statement it had prepared on that connection. A page that only
reads thus paid two round trips for nothing and had each statement planned anew every time
(0.15-0.27 ms of the server's time each, more than running it).

Under PostgreSQL's READ COMMITTED, which Forum uses, each statement sees what was committed
before it began, inside a transaction or not: plain reads lose nothing by running outside one.
So a connection is handed out in autocommit mode, and turned back to transactions just before
the first statement that is not a plain read (any write, DDL or SAVEPOINT, a SELECT that locks
rows, a read through a server-side cursor). That statement and every one after it, until the
commit or the rollback, run in one transaction as they always did; a failure rolls them back
whole. A connection whose caller chose an isolation level (a backup's REPEATABLE READ, the
page cache's AUTOCOMMIT) runs as that level says. Nothing else a SELECT can do lasts until the
end of its transaction in Forum (no advisory transaction locks, no local settings); a statement
that did would have to be classed here.

SQLite's transactions cost no round trip, and its connections are left as they are.
"""

from __future__ import annotations

import re

from flask import Flask
from psycopg import ServerCursor
from sqlalchemy import event

from forum.extensions import db

# Row locks taken by a SELECT last until the end of its transaction: it must have one.
LOCKING = re.compile(r"\bFOR\s+(?:NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b", re.IGNORECASE)


def is_plain_read(statement: str, cursor) -> bool:
    """Whether ``statement`` only reads and may run outside a transaction."""
    if statement.lstrip()[:6].lower() != "select":
        return False
    if isinstance(cursor, ServerCursor):
        return False  # declared inside a transaction, and read until its end
    return LOCKING.search(statement) is None


def _hand_out_in_autocommit(dbapi_connection, connection_record, connection_proxy) -> None:
    dbapi_connection.autocommit = True


def _begin_before_writing(conn, cursor, statement, parameters, context, executemany) -> None:
    dbapi_connection = conn.connection.dbapi_connection
    if (
        dbapi_connection.autocommit
        # Not where the caller chose an isolation level itself (AUTOCOMMIT included).
        and "isolation_level" not in conn.get_execution_options()
        and not is_plain_read(statement, cursor)
    ):
        # psycopg sends BEGIN before this statement, as it did before the first one.
        dbapi_connection.autocommit = False


def init_app(app: Flask) -> None:
    if app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("isolation_level"):
        return  # the operator chose how transactions run
    with app.app_context():
        engine = db.engine
    if engine.dialect.driver != "psycopg":
        return
    event.listen(engine, "checkout", _hand_out_in_autocommit)
    event.listen(engine, "before_cursor_execute", _begin_before_writing)
