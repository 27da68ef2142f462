"""The demo's season: eight weekly sessions for the demo group, loaded once."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from forum.demo.services import load_demo
from forum.extensions import db
from forum.groups.models import GroupSession, Rsvp, RsvpStatus


def test_the_demo_schedules_a_season_once():
    now = datetime(2030, 3, 4, 12, tzinfo=UTC)  # a Monday
    report = load_demo(lambda message: None, now=now)
    db.session.commit()
    assert report.sessions == 8
    sessions = list(db.session.scalars(select(GroupSession).order_by(GroupSession.starts_at)))
    assert sessions[0].starts_at == datetime(2030, 3, 7, 19, tzinfo=UTC)
    assert [r.article.title for r in sessions[0].readings]
    assert sessions[0].facilitator is not None
    assert db.session.scalar(select(Rsvp.status)) is RsvpStatus.GOING

    again = load_demo(lambda message: None, now=now)
    db.session.commit()
    assert again.sessions == 0
    assert db.session.scalar(select(func.count(GroupSession.id))) == 8
