"""The migrations on PostgreSQL, from empty: the production database gets the models' schema.

Runs in a scratch schema of the FORUM_TEST_POSTGRES_URL database, so it never touches the
tables the rest of the suite uses there.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from forum.extensions import db
from tests.conftest import require_service
from tests.test_migrations import migrate_from_empty

# One per test worker: two workers dropping and creating the same schema of the shared
# database pulled it from under each other.
SCHEMA = "forum_migration_check_" + os.environ.get("PYTEST_XDIST_WORKER", "main")

pytestmark = pytest.mark.postgres


@pytest.fixture
def postgres_url():
    url = os.environ.get("FORUM_TEST_POSTGRES_URL", "")
    require_service(bool(url), "FORUM_TEST_POSTGRES_URL is not set")
    engine = create_engine(url)
    try:
        with engine.connect():
            pass
    except OperationalError as error:
        engine.dispose()
        require_service(False, f"PostgreSQL at FORUM_TEST_POSTGRES_URL is unreachable: {error}")
    yield url, engine
    engine.dispose()


def _reset_schema(engine, create: bool) -> None:
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        if create:
            connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))


def test_migrations_match_the_models_on_postgres(postgres_url):
    url, engine = postgres_url
    _reset_schema(engine, create=True)
    try:
        found = migrate_from_empty(url, {"connect_args": {"options": f"-c search_path={SCHEMA}"}})
    finally:
        _reset_schema(engine, create=False)
    assert found["differences"] == []
    assert set(db.metadata.tables) <= found["tables_at_head"]
    assert found["tables_at_base"] <= {"alembic_version"}
