"""How a request's open transaction ends: reads are committed, anything else rolled back."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from forum import create_app
from forum.accounts.models import User
from forum.extensions import db
from tests import factories


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
    single = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 1, "max_overflow": 0},
            "PAGE_CACHE": False,
        }
    )
    client = single.test_client()
    # psycopg prepares a statement the fifth time it runs on a connection; a rollback at
    # the end of each page would make it forget them all.
    for _ in range(6):
        assert client.get("/articles/").status_code == 200
    with single.app_context():
        try:
            prepared = db.session.execute(
                text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE :table"),
                {"table": "%FROM articles%"},
            ).scalar()
        finally:
            db.session.rollback()
            db.engine.dispose()
    assert prepared > 0
