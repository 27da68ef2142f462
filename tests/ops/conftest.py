"""Instances of their own: each test's app has its own instance folder and database, as a
separate installation would (a backup's source and the instance it is restored into)."""

from __future__ import annotations

from pathlib import Path

import flask_migrate
import pytest

from forum import create_app
from forum.extensions import db
from forum.ops import logs


@pytest.fixture
def make_instance(monkeypatch):
    """make_instance(folder, url=None, create=True, **config) -> app.

    The secret key and the mail folder are the instance's own (generated and ``file://``), as
    on a real installation. ``create`` makes the tables and stamps them at the migrations'
    head, which is what ``forum db upgrade`` leaves.
    """
    made = []

    def make(folder: Path, url: str | None = None, create: bool = True, **config):
        folder.mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv("FORUM_INSTANCE_PATH", str(folder))
        app = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": url or f"sqlite:///{folder / 'forum.db'}",
                "BASE_URL": "http://forum.test",
                "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
                "PAGE_CACHE": False,
                **config,
            }
        )
        if create:
            with app.app_context():
                db.create_all()
                flask_migrate.stamp(revision="heads")
            # Alembic's logging set-up (migrations/alembic.ini) replaced the app's log handler.
            logs.configure_logging(logs.wants_json(app))
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    # Each app installs the log handler its settings ask for; the suite goes on with plain text.
    logs.configure_logging(as_json=False)


def run_command(app, *args: str):
    """``forum ARGS`` on ``app``. Its context is pushed first: a command run inside another
    app's context (the suite's, which every test has) would act on that app."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))
