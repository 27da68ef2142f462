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
    sessions = list(
        db.session.scalars(
            select(GroupSession)
            .where(GroupSession.season_key.is_not(None))
            .order_by(GroupSession.starts_at)
        )
    )
    assert len(sessions) == 8
    assert sessions[0].starts_at == datetime(2030, 3, 7, 19, tzinfo=UTC)
    assert [r.article.title for r in sessions[0].readings]
    assert sessions[0].facilitator is not None
    assert (
        db.session.scalar(select(Rsvp.status).where(Rsvp.session_id == sessions[0].id))
        is RsvpStatus.GOING
    )

    again = load_demo(lambda message: None, now=now)
    db.session.commit()
    assert again.sessions == 0
    # The season, and last season's two sessions with their ballots.
    assert db.session.scalar(select(func.count(GroupSession.id))) == 10


def test_the_demo_has_a_closed_ballot_with_results_and_an_open_one():
    from forum.groups.models import Ballot, BallotStatus
    from forum.groups.queries import topic_results

    now = datetime(2030, 3, 4, 12, tzinfo=UTC)
    load_demo(lambda message: None, now=now)
    db.session.commit()
    ballots = {b.topic: b for b in db.session.scalars(select(Ballot))}
    assert ballots["Climate migration"].status is BallotStatus.CLOSED
    assert ballots["Climate migration"].voter_count == 5
    assert ballots["The Arctic"].is_open_at(now) and ballots["The Arctic"].voter_count == 3
    assert topic_results("climate-migration", now).voters == 5
    load_demo(lambda message: None, now=now)
    db.session.commit()
    assert db.session.scalar(select(func.count(Ballot.id))) == 2
