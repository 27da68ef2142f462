from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from forum import create_app
from forum.extensions import db
from tests import factories


def test_sqlite_runs_in_wal_with_foreign_keys_and_a_busy_timeout(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'pragmas.db'}"})
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == 5000
        db.engine.dispose()


def test_times_come_back_in_utc_whatever_zone_they_were_given_in():
    user = factories.make_user("zone@example.org", "Zoe Zone")
    user.last_seen_at = datetime(2026, 3, 29, 3, 30, tzinfo=timezone(timedelta(hours=2)))
    db.session.commit()
    db.session.expire_all()
    assert user.last_seen_at == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert user.last_seen_at.tzinfo is UTC


def test_naive_times_are_refused():
    user = factories.make_user("naive@example.org", "Nate Naive")
    user.last_seen_at = datetime(2026, 1, 1, 12, 0)
    with pytest.raises(Exception, match="naive datetime"):
        db.session.commit()
    db.session.rollback()
