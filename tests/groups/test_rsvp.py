"""Answers, seats, the waitlist and attendance."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from forum.core.errors import PermissionDenied, ValidationFailed
from forum.extensions import db
from forum.groups import services
from forum.groups.models import RsvpStatus
from forum.groups.queries import rsvp_counts
from tests import factories
from tests.groups.conftest import emails_to, make_membership, make_session

NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)


@pytest.fixture
def people(group):
    people = []
    for number in range(4):
        user = factories.make_user(f"p{number}@example.org", f"Person {number}")
        make_membership(group, user)
        people.append(user)
    return people


def test_going_maybe_and_declined_are_counted(group, people):
    session = make_session(group, now=NOW)
    services.respond(people[0], session, "going", now=NOW)
    services.respond(people[1], session, "maybe", now=NOW)
    services.respond(people[2], session, "declined", now=NOW)
    counts = rsvp_counts(session)
    assert (counts[RsvpStatus.GOING], counts[RsvpStatus.MAYBE], counts[RsvpStatus.DECLINED]) == (
        1,
        1,
        1,
    )


def test_a_full_session_waitlists_and_a_freed_seat_promotes_the_first_in_line(group, people):
    session = make_session(group, now=NOW, capacity=2)
    answers = [services.respond(person, session, "going", now=NOW) for person in people]
    db.session.commit()
    assert [a.status for a in answers] == [
        RsvpStatus.GOING,
        RsvpStatus.GOING,
        RsvpStatus.WAITLISTED,
        RsvpStatus.WAITLISTED,
    ]
    # Saying "going" again keeps one's place rather than jumping the queue or losing it.
    assert services.respond(people[3], session, "going", now=NOW).status is RsvpStatus.WAITLISTED

    services.respond(people[0], session, "declined", now=NOW)
    db.session.commit()
    assert answers[2].status is RsvpStatus.GOING
    assert answers[3].status is RsvpStatus.WAITLISTED
    assert emails_to(people[2].email)[-1].subject.startswith("A seat is yours")
    assert emails_to(people[3].email) == []


def test_raising_the_capacity_promotes_the_waitlist(group, organiser, people):
    from tests.groups.conftest import session_input

    session = make_session(group, now=NOW, capacity=1)
    for person in people[:3]:
        services.respond(person, session, "going", now=NOW)
    services.edit_session(organiser, session, session_input(capacity=3), now=NOW)
    assert rsvp_counts(session)[RsvpStatus.GOING] == 3


def test_only_members_answer_and_not_after_the_session(group, reader, people):
    session = make_session(group, now=NOW)
    with pytest.raises(PermissionDenied):
        services.respond(reader, session, "going", now=NOW)
    with pytest.raises(PermissionDenied):
        services.respond(people[0], session, "going", now=datetime(2030, 6, 1, tzinfo=UTC))
    with pytest.raises(ValidationFailed):
        services.respond(people[0], session, "perhaps", now=NOW)


def test_attendance_marks_answers_and_adds_walk_ins(group, organiser, people, member):
    session = make_session(group, now=NOW)
    going = services.respond(people[0], session, "going", now=NOW)
    absent = services.respond(people[1], session, "going", now=NOW)
    services.mark_attendance(organiser, session, {people[0].id}, walk_ins=[people[3]])
    db.session.commit()
    assert going.attended is True and absent.attended is False
    counts = rsvp_counts(session)
    assert counts[RsvpStatus.GOING] == 3
    with pytest.raises(PermissionDenied):
        services.mark_attendance(member, session, set())
