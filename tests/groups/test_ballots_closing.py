"""The digest's question: which open ballots close soon for someone who has not voted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from forum.extensions import db
from forum.groups.models import Ballot, BallotStatus, BallotVoter, Rsvp, RsvpStatus
from forum.groups.queries import ballots_closing_soon
from tests import factories
from tests.groups.conftest import make_membership, make_session

NOW = datetime(2030, 3, 8, 12, 0, tzinfo=UTC)


def _ballot(session, closes_in, status=BallotStatus.OPEN):
    ballot = Ballot(
        session_id=session.id,
        topic=session.topic,
        topic_key="climate-migration",
        status=status,
        closes_at=NOW + closes_in if closes_in is not None else None,
    )
    db.session.add(ballot)
    db.session.commit()
    return ballot


def _answer(session, user, status=RsvpStatus.GOING, attended=None):
    db.session.add(Rsvp(session_id=session.id, user_id=user.id, status=status, attended=attended))
    db.session.commit()


def test_lists_open_ballots_closing_within_the_window_for_eligible_non_voters(group, member):
    soon = make_session(group, title="Soon")
    later = make_session(group, title="Later", starts_on=soon.starts_at.date() + timedelta(7))
    open_ended = make_session(group, title="Open", starts_on=soon.starts_at.date() + timedelta(14))
    for session in (soon, later, open_ended):
        _answer(session, member)
    ballot = _ballot(soon, timedelta(hours=20))
    _ballot(later, timedelta(days=3))
    _ballot(open_ended, None)

    assert ballots_closing_soon(member.id, NOW, timedelta(days=1)) == [ballot]
    assert [b.session.title for b in ballots_closing_soon(member.id, NOW, timedelta(days=4))] == [
        "Soon",
        "Later",
    ]


def test_leaves_out_voted_past_drafts_and_people_who_were_not_there(group, member):
    session = make_session(group)
    ballot = _ballot(session, timedelta(hours=5))
    stranger = factories.make_user("maybe@example.org", "May Be")
    make_membership(group, stranger)
    _answer(session, stranger, RsvpStatus.MAYBE)
    walk_in = factories.make_user("walkin@example.org", "Walt Walkin")
    make_membership(group, walk_in)
    _answer(session, walk_in, RsvpStatus.DECLINED, attended=True)
    _answer(session, member)

    assert ballots_closing_soon(stranger.id, NOW, timedelta(days=1)) == []
    assert ballots_closing_soon(walk_in.id, NOW, timedelta(days=1)) == [ballot]
    db.session.add(BallotVoter(ballot_id=ballot.id, user_id=member.id))
    db.session.commit()
    assert ballots_closing_soon(member.id, NOW, timedelta(days=1)) == []
    assert ballots_closing_soon(walk_in.id, NOW + timedelta(hours=6), timedelta(days=1)) == []
    ballot.status = BallotStatus.DRAFT
    db.session.commit()
    assert ballots_closing_soon(walk_in.id, NOW, timedelta(days=1)) == []
