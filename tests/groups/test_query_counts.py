"""The signed-in pages of a group cost a fixed number of SQL queries (issue 6: at most 12),
whoever looks and however much the group holds."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from forum.core.db import utc_now
from forum.extensions import db
from forum.groups import services
from forum.groups.models import Rsvp, RsvpStatus, SessionReading
from forum.groups.queries import session_discussion
from tests import factories
from tests.conftest import count_queries, login
from tests.groups.conftest import make_membership, make_session

MAX_QUERIES = 12
QUESTIONS = "Should the country take in more climate migrants?\n- Yes\n- No\n"
PERSONAS = ["member", "organiser", "non_member"]


@pytest.fixture
def non_member():
    return factories.make_user("outsider@example.org", "Otto Outsider")


@pytest.fixture
def viewer(request, member, organiser, non_member):
    return {"member": member, "organiser": organiser, "non_member": non_member}[request.param]


def _queries(client, url: str) -> tuple[int, str]:
    with count_queries() as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements), response.get_data(as_text=True)


def _people(group, count: int, start: int) -> list:
    people = []
    for number in range(start, start + count):
        person = factories.make_user(f"p{number}@example.org", f"Person {number:02d}")
        make_membership(group, person)
        people.append(person)
    return people


def _fill_group(group, count: int, start: int) -> None:
    """``count`` more members, articles with the group's discussions, sessions to come and
    past sessions with an open ballot."""
    _people(group, count, start)
    for number in range(start, start + count):
        article = factories.make_article(f"Reading number {number}")
        article.groups.append(group)
        services.open_group_discussion(None, group, article)
        make_session(group, title=f"Coming {number}", starts_on=date(2031, 1, 1 + number))
        past = make_session(
            group,
            now=utc_now() - timedelta(days=400),
            title=f"Past {number}",
            starts_on=(utc_now() - timedelta(days=100 + number)).date(),
        )
        _open_ballot(past)
    db.session.commit()


def _open_ballot(session):
    ballot = services.create_ballot(
        None,
        session,
        services.BallotInput(
            topic=f"Topic of {session.title}",
            questions=services.parse_ballot_questions(QUESTIONS),
        ),
    )
    services.open_ballot(None, ballot)
    return ballot


@pytest.mark.parametrize("viewer", PERSONAS, indirect=True)
def test_the_group_page_costs_the_same_few_queries_with_2_and_20_items(client, group, viewer):
    login(client, viewer)
    url = f"/groups/{group.slug}"
    _fill_group(group, 2, 0)
    few, html = _queries(client, url)
    assert "Person 01" in html and "Coming 1" in html
    _fill_group(group, 18, 2)
    many, html = _queries(client, url)
    assert "Person 19" in html and "Reading number 19" in html
    assert many == few
    assert few <= MAX_QUERIES


@pytest.mark.parametrize("viewer", PERSONAS, indirect=True)
def test_a_session_page_costs_the_same_few_queries_with_2_and_20_people(
    client, group, viewer, member
):
    session = make_session(group, starts_on=(utc_now() + timedelta(days=5)).date())
    db.session.add(Rsvp(session_id=session.id, user_id=member.id, status=RsvpStatus.GOING))
    db.session.commit()
    url = f"/groups/{group.slug}/sessions/{session.id}"

    _open_ballot(session)
    db.session.commit()

    def add(count: int, start: int) -> None:
        """People going who say something, and readings."""
        for person in _people(group, count, start):
            db.session.add(Rsvp(session_id=session.id, user_id=person.id, status=RsvpStatus.GOING))
            factories.make_post(discussion, person, f"Said by person {person.id}")
            article = factories.make_article(f"Reading number {person.id}")
            db.session.add(SessionReading(session_id=session.id, article_id=article.id))
        db.session.commit()

    discussion = session_discussion(session)
    login(client, viewer)
    add(2, 0)
    few, _html = _queries(client, url)
    add(18, 2)
    many, html = _queries(client, url)
    assert html.count("Said by person") == 20 and html.count("Reading number") == 20
    assert "The opinion ballot on Topic of Climate migration is open." in html
    assert many == few
    assert few <= MAX_QUERIES


@pytest.mark.parametrize("viewer", PERSONAS, indirect=True)
def test_the_ballot_page_costs_the_same_few_queries_with_2_and_20_voters(
    client, group, viewer, member
):
    session = make_session(group, starts_on=(utc_now() - timedelta(days=1)).date())
    db.session.add(Rsvp(session_id=session.id, user_id=member.id, status=RsvpStatus.GOING))
    ballot = _open_ballot(session)
    db.session.commit()
    url = f"/groups/{group.slug}/sessions/{session.id}/ballot"

    def add(count: int, start: int) -> None:
        for person in _people(group, count, start):
            db.session.add(Rsvp(session_id=session.id, user_id=person.id, status=RsvpStatus.GOING))
            db.session.flush()
            question = ballot.questions[0]
            services.vote(person, ballot, {question.id: [question.choices[0].id]})
        db.session.commit()

    login(client, viewer)
    add(2, 0)
    few, _html = _queries(client, url)
    add(18, 2)
    many, _html = _queries(client, url)
    assert many == few
    assert few <= MAX_QUERIES


def test_a_request_remembers_membership_and_archive_until_something_is_written(app, group, reader):
    """Read once a request, but a change made in the same request is seen at once."""
    from sqlalchemy import delete

    from forum.admin.models import GroupArchive
    from forum.groups import permissions
    from forum.groups.models import Membership

    with app.test_request_context():
        assert permissions.membership_of(reader, group) is None
        assert not permissions.is_archived(group)
        with count_queries() as statements:
            assert permissions.membership_of(reader, group) is None
            assert not permissions.is_archived(group)
        assert statements == []

        # Added, not yet flushed: a service's next check sees it.
        db.session.add(Membership(group_id=group.id, user_id=reader.id))
        assert permissions.is_group_member(reader, group)
        db.session.add(GroupArchive(group_id=group.id, archived_at=utc_now()))
        db.session.flush()
        assert permissions.is_archived(group)
        assert not permissions.can_join_group(reader, group)

        db.session.execute(delete(Membership).where(Membership.user_id == reader.id))
        assert permissions.membership_of(reader, group) is None
        db.session.rollback()
        assert not permissions.is_archived(group)
