"""Transactions: on PostgreSQL they begin at the first statement that may write; whatever a
request leaves open is rolled back."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from forum.accounts.models import User
from forum.core.transactions import is_plain_read
from forum.extensions import db
from tests import factories
from tests.conftest import one_connection_app


def test_a_write_left_uncommitted_is_rolled_back_when_the_request_ends(app):
    user = factories.make_user("kept@example.org", "Kim Kept")
    user.bio = "As written."
    db.session.commit()
    # Raw SQL leaves no trace in the session's own bookkeeping: only the statement tells.
    with app.app_context():
        db.session.execute(text("UPDATE users SET bio = 'Never committed.'"))
    with app.app_context():
        assert db.session.get(User, user.id).bio == "As written."


def test_pages_that_only_read_keep_postgresql_s_prepared_statements(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("psycopg prepares statements on PostgreSQL only (the PostgreSQL pass)")
    factories.make_article("Prepared Once")
    # One connection, so every request below runs on the one this test then asks.
    with one_connection_app(app, PAGE_CACHE=False) as single:
        client = single.test_client()
        # psycopg prepares a statement the fifth time it runs on a connection; a transaction
        # rolled back at the end of each page would make it forget them all.
        for _ in range(6):
            assert client.get("/articles/").status_code == 200
        with single.app_context():
            prepared = db.session.execute(
                text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE :table"),
                {"table": "%FROM articles%"},
            ).scalar()
    assert prepared > 0


@pytest.mark.parametrize(
    ("statement", "plain"),
    [
        ("SELECT users.id FROM users WHERE users.id = %(id)s", True),
        ("  select 1", True),
        ("SELECT outbox.id FROM outbox LIMIT 10 FOR UPDATE SKIP LOCKED", False),
        ("SELECT posts.id FROM posts FOR NO KEY UPDATE", False),
        ("SELECT posts.id FROM posts\nFOR SHARE", False),
        ("INSERT INTO follows (user_id) VALUES (1)", False),
        ("WITH gone AS (DELETE FROM tokens RETURNING id) SELECT count(*) FROM gone", False),
        ("SAVEPOINT sa_savepoint_1", False),
    ],
)
def test_only_plain_reads_run_outside_a_transaction(statement, plain):
    assert is_plain_read(statement, cursor=None) is plain


def test_a_row_locked_by_a_select_stays_locked_until_the_commit(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("transactions begin lazily on PostgreSQL only (the PostgreSQL pass)")
    user = factories.make_user("locked@example.org", "Lou Locked")
    with app.app_context():
        # Reads first, outside a transaction; then a lock, which must begin one and hold it.
        db.session.execute(select(User.id)).all()
        db.session.execute(select(User).where(User.id == user.id).with_for_update()).one()
        with db.engine.connect() as other, pytest.raises(OperationalError, match="lock"):
            other.execute(
                text("SELECT id FROM users WHERE id = :id FOR UPDATE NOWAIT"), {"id": user.id}
            )
        db.session.commit()
    with db.engine.connect() as other:
        found = other.execute(
            text("SELECT id FROM users WHERE id = :id FOR UPDATE NOWAIT"), {"id": user.id}
        ).scalar()
    assert found == user.id
