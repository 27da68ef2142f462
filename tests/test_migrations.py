"""The migrations build the schema the models describe, from empty, and take it down again.

Tests create their tables with ``db.create_all()``; these tests are what keep the migrations
honest. A failure here means a model changed without a migration (run `forum db migrate`).
"""

from __future__ import annotations

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from forum import create_app
from forum.extensions import db


def migrate_from_empty(url: str, engine_options: dict | None = None) -> dict:
    """Upgrade an empty database to head, compare it with the models, downgrade to base.

    Returns what was found: the differences autogenerate would write, and the tables left
    after each step.
    """
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options or {},
        }
    )
    found: dict = {}
    with app.app_context():
        try:
            flask_migrate.upgrade()
            with db.engine.connect() as connection:
                context = MigrationContext.configure(connection, opts={"compare_type": True})
                found["differences"] = compare_metadata(context, db.metadata)
                found["tables_at_head"] = set(inspect(connection).get_table_names())
            flask_migrate.downgrade(revision="base")
            with db.engine.connect() as connection:
                found["tables_at_base"] = set(inspect(connection).get_table_names())
        finally:
            db.engine.dispose()
    return found


def test_migrations_match_the_models_on_sqlite(tmp_path):
    found = migrate_from_empty(f"sqlite:///{tmp_path / 'migrated.db'}")
    assert found["differences"] == []
    assert set(db.metadata.tables) <= found["tables_at_head"]
    assert found["tables_at_base"] <= {"alembic_version"}
