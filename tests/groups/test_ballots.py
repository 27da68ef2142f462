"""Ballots: who may vote, once; secrecy; who sees results; the topic's totals across groups."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from forum.core.errors import PermissionDenied, ValidationFailed
from forum.extensions import db
from forum.groups import permissions, queries, services
from forum.groups.models import Ballot, BallotChoice, BallotStatus, BallotVoter, Rsvp, RsvpStatus
from forum.groups.services import ensure_group
from tests import factories
from tests.conftest import login, post_form
from tests.groups.conftest import make_membership, make_session

QUESTIONS = """Should the country take in more climate migrants?
- Yes
- No
- Not sure

[any] Which should come first?
- Adaptation funding
- Legal status for climate migrants
- Regional agreements
"""
NOW = datetime(2030, 3, 8, 12, 0, tzinfo=UTC)


def _ballot(session, questions=QUESTIONS, **values):
    ballot = services.create_ballot(
        None,
        session,
        services.BallotInput(
            topic=values.pop("topic", "Climate migration"),
            questions=services.parse_ballot_questions(questions),
            **values,
        ),
    )
    services.open_ballot(None, ballot, now=NOW)
    db.session.commit()
    return ballot


def _participants(group, session, count, prefix="voter"):
    people = []
    for number in range(count):
        user = factories.make_user(
            f"{prefix}{number}@{group.slug}.org", f"{prefix} {group.id} {number}"
        )
        make_membership(group, user)
        db.session.add(Rsvp(session_id=session.id, user_id=user.id, status=RsvpStatus.GOING))
        people.append(user)
    db.session.commit()
    return people


def _choice(ballot, question_number, text):
    question = ballot.questions[question_number]
    return next(c.id for c in question.choices if c.text == text)


def _vote(ballot, user, first="Yes", second=("Adaptation funding",)):
    answers = {
        ballot.questions[0].id: [_choice(ballot, 0, first)],
        ballot.questions[1].id: [_choice(ballot, 1, text) for text in second],
    }
    services.vote(user, ballot, answers, now=NOW)
    db.session.commit()


def test_questions_are_parsed_one_a_line_with_choices_below(group):
    parsed = services.parse_ballot_questions(QUESTIONS)
    assert [(q.text, q.is_multiple, len(q.choices)) for q in parsed] == [
        ("Should the country take in more climate migrants?", False, 3),
        ("Which should come first?", True, 3),
    ]
    session = make_session(group)
    ballot = _ballot(session)
    assert services.parse_ballot_questions(services.format_ballot_questions(ballot)) == parsed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "at least one question"),
        ("- Yes\n- No", "before its choices"),
        ("Agree?\n- Yes", "between 2 and"),
        ("Agree?\n- Yes\n- yes", "twice"),
    ],
)
def test_a_ballot_needs_questions_with_real_choices(group, text, message):
    session = make_session(group)
    with pytest.raises(ValidationFailed, match=message):
        services.create_ballot(
            None,
            session,
            services.BallotInput("Topic", services.parse_ballot_questions(text)),
        )


def test_the_deadline_is_a_wall_clock_in_the_sessions_zone(group):
    session = make_session(group, timezone="America/New_York")
    ballot = _ballot(session, closes_on=date(2030, 3, 14), closes_at=time(21, 0))
    # 21:00 in New York, after the clocks went forward on 10 March 2030 (UTC-4).
    assert ballot.closes_at == datetime(2030, 3, 15, 1, 0, tzinfo=UTC)


def test_people_who_were_going_or_came_vote_once(group, member):
    session = make_session(group)
    ballot = _ballot(session)
    voter, walk_in, maybe = _participants(group, session, 3)
    db.session.scalar(select(Rsvp).where(Rsvp.user_id == walk_in.id)).status = RsvpStatus.DECLINED
    db.session.scalar(select(Rsvp).where(Rsvp.user_id == walk_in.id)).attended = True
    db.session.scalar(select(Rsvp).where(Rsvp.user_id == maybe.id)).status = RsvpStatus.MAYBE
    outsider = factories.make_user("outsider@example.org", "Out Sider")
    db.session.commit()

    _vote(ballot, voter)
    _vote(ballot, walk_in, "No", ("Adaptation funding", "Regional agreements"))
    with pytest.raises(PermissionDenied, match="already voted"):
        _vote(ballot, voter)
    for refused in (maybe, member, outsider):
        with pytest.raises(PermissionDenied):
            _vote(ballot, refused)

    db.session.expire_all()
    assert ballot.voter_count == 2
    tallies = {(q.text, c.text): c.votes for q in ballot.questions for c in q.choices if c.votes}
    assert tallies == {
        ("Should the country take in more climate migrants?", "Yes"): 1,
        ("Should the country take in more climate migrants?", "No"): 1,
        ("Which should come first?", "Adaptation funding"): 2,
        ("Which should come first?", "Regional agreements"): 1,
    }


def test_a_second_vote_that_slips_past_the_check_is_refused_by_the_database(group, monkeypatch):
    session = make_session(group)
    ballot = _ballot(session)
    (voter,) = _participants(group, session, 1)
    _vote(ballot, voter)
    # As if two requests both passed the "has not voted" check at the same moment.
    db.session.add(BallotVoter(ballot_id=ballot.id, user_id=voter.id))
    with pytest.raises(Exception, match="UNIQUE|unique"):
        db.session.flush()
    db.session.rollback()
    answers = {q.id: [q.choices[0].id] for q in ballot.questions}
    # As if the check had run before the first vote was committed.
    monkeypatch.setattr(permissions, "require_ballot_vote", lambda *args, **kwargs: None)
    with pytest.raises(ValidationFailed, match="already voted"):
        services.vote(voter, ballot, answers, now=NOW)
    db.session.rollback()
    db.session.expire_all()
    assert ballot.voter_count == 1
    assert sum(c.votes for c in ballot.questions[0].choices) == 1


def test_a_vote_must_answer_each_question_within_its_choices(group):
    session = make_session(group)
    ballot = _ballot(session)
    (voter,) = _participants(group, session, 1)
    first, second = ballot.questions
    cases = [
        ({first.id: [first.choices[0].id]}, "Answer question 2"),
        ({first.id: [c.id for c in first.choices[:2]], second.id: [second.choices[0].id]}, "one"),
        ({first.id: [second.choices[0].id], second.id: [second.choices[0].id]}, "choices given"),
    ]
    for answers, message in cases:
        with pytest.raises(ValidationFailed, match=message):
            services.vote(voter, ballot, answers, now=NOW)
        db.session.rollback()
    assert not permissions.has_voted(voter, ballot)


def test_no_row_links_a_person_to_what_they_chose(group):
    """Secrecy by construction: who voted and what was chosen live in tables that share
    nothing but the ballot, and no per-vote row or time exists."""
    voter_columns = set(BallotVoter.__table__.columns.keys())
    assert voter_columns == {"id", "ballot_id", "user_id"}
    choice_columns = set(BallotChoice.__table__.columns.keys())
    assert choice_columns == {"id", "question_id", "position", "text", "votes"}
    for table in db.metadata.sorted_tables:
        referenced = {fk.column.table.name for fk in table.foreign_keys}
        assert not (
            {"users", "ballot_choices"} <= referenced or {"users", "ballot_questions"} <= referenced
        ), table.name


def test_no_one_not_even_an_admin_sees_an_individual_vote(client, group, admin):
    session = make_session(group)
    ballot = _ballot(session)
    voters = _participants(group, session, 5)
    for person in voters[:4]:
        _vote(ballot, person, "Yes")
    _vote(ballot, voters[4], "Not sure")
    services.close_ballot(None, ballot, now=NOW)
    db.session.commit()

    login(client, admin)
    page = client.get(f"/groups/{group.slug}/sessions/{session.id}/ballot")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Not sure" in html
    assert not [person for person in voters if person.display_name in html]
    assert 'value="80.0"' in html and 'value="20.0"' in html
    assert "style=" not in html


def test_results_show_to_a_voter_after_voting_and_to_members_once_closed(client, group, member):
    session = make_session(group)
    ballot = _ballot(session)
    voters = _participants(group, session, 5)
    for person in voters[:4]:
        _vote(ballot, person)
    path = f"/groups/{group.slug}/sessions/{session.id}/ballot"

    login(client, voters[4])
    html = client.get(path).get_data(as_text=True)
    assert "Cast my vote" in html and "<meter" not in html
    _vote(ballot, voters[4])
    html = client.get(path).get_data(as_text=True)
    assert "You have voted" in html and "<meter" in html

    client.get("/auth/logout")
    login(client, member)
    assert "<meter" not in client.get(path).get_data(as_text=True)
    services.close_ballot(None, ballot)
    db.session.commit()
    html = client.get(path).get_data(as_text=True)
    assert "<meter" in html and "100%" in html


def test_results_of_a_small_ballot_stay_hidden(client, group):
    session = make_session(group)
    ballot = _ballot(session)
    voters = _participants(group, session, 3)
    for person in voters:
        _vote(ballot, person)
    login(client, voters[0])
    html = client.get(f"/groups/{group.slug}/sessions/{session.id}/ballot").get_data(as_text=True)
    assert "at least 5 people have voted" in html and "<meter" not in html


def test_members_vote_through_the_page_and_a_missing_answer_keeps_their_choice(client, group):
    session = make_session(group)
    ballot = _ballot(session)
    (voter,) = _participants(group, session, 1)
    login(client, voter)
    path = f"/groups/{group.slug}/sessions/{session.id}/ballot"
    yes = _choice(ballot, 0, "Yes")
    response = post_form(client, f"{path}/vote", {f"q{ballot.questions[0].id}": yes}, path)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Answer question 2" in html and f'value="{yes}" checked' in html

    second = ballot.questions[1]
    data = {f"q{ballot.questions[0].id}": yes, f"q{second.id}": [c.id for c in second.choices]}
    response = post_form(client, f"{path}/vote", data, path)
    assert response.status_code == 302
    again = post_form(client, f"{path}/vote", data, path)
    assert again.status_code == 403
    assert "already voted" in again.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Ballot, ballot.id).voter_count == 1


def test_an_organiser_writes_opens_and_closes_a_ballot(client, group, organiser):
    session = make_session(group)
    login(client, organiser)
    base = f"/groups/{group.slug}/sessions/{session.id}/ballot"
    form = client.get(f"{base}/edit")
    assert form.status_code == 200 and 'value="Climate migration"' in form.get_data(as_text=True)
    refused = post_form(client, f"{base}/edit", {"topic": "Climate", "questions": "Agree?"}, base)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "give between 2 and" in html and "Agree?</textarea>" in html

    data = {"topic": "Climate migration", "questions": QUESTIONS, "closes_on": "2030-03-20"}
    refused = post_form(client, f"{base}/edit", data, base)
    assert "Give both the date and the time" in refused.get_data(as_text=True)
    data["closes_at"] = "21:00"
    assert post_form(client, f"{base}/edit", data, base).status_code == 302
    ballot = queries.session_ballot(session)
    assert ballot.status is BallotStatus.DRAFT and len(ballot.questions) == 2
    assert "Write a ballot" not in client.get(f"/groups/{group.slug}/sessions/{session.id}").text

    assert post_form(client, f"{base}/open", {}, base).status_code == 302
    db.session.expire_all()
    assert ballot.status is BallotStatus.OPEN
    edit = post_form(client, f"{base}/edit", data, base)
    assert "can no longer change" in edit.get_data(as_text=True)
    assert post_form(client, f"{base}/close", {}, base).status_code == 302
    db.session.expire_all()
    assert ballot.status is BallotStatus.CLOSED


def test_a_draft_does_not_exist_for_members(client, group, member):
    session = make_session(group)
    services.create_ballot(
        None, session, services.BallotInput("T", services.parse_ballot_questions(QUESTIONS))
    )
    db.session.commit()
    login(client, member)
    assert client.get(f"/groups/{group.slug}/sessions/{session.id}/ballot").status_code == 404


# Across groups ------------------------------------------------------------------------------


def _closed_ballot(group, votes, topic="Climate migration"):
    session = make_session(group, title=f"{group.name} session")
    ballot = _ballot(session, topic=topic)
    voters = _participants(group, session, len(votes))
    for person, (first, second) in zip(voters, votes, strict=True):
        _vote(ballot, person, first, second)
    services.close_ballot(None, ballot, now=NOW)
    db.session.commit()
    return ballot


def test_a_topic_adds_up_every_group_and_leaves_out_small_ones(client, group):
    other = ensure_group("Riverside Readers")
    small = ensure_group("Tiny Circle")
    db.session.commit()
    _closed_ballot(group, [("Yes", ("Adaptation funding",))] * 5)
    _closed_ballot(
        other,
        [("No", ("Adaptation funding", "Regional agreements"))] * 3
        + [("Yes", ("Regional agreements",))] * 2,
        topic="climate  Migration",
    )
    _closed_ballot(small, [("No", ("Regional agreements",))] * 2)

    results = queries.topic_results("climate-migration", NOW + timedelta(days=1))
    assert (results.ballots, results.groups, results.voters, results.withheld) == (2, 2, 10, 1)
    first, second = results.questions
    assert [(c.text, c.votes, round(c.percent)) for c in first.choices] == [
        ("Yes", 7, 70),
        ("No", 3, 30),
        ("Not sure", 0, 0),
    ]
    assert second.is_multiple
    assert [(c.text, c.votes) for c in second.choices] == [
        ("Adaptation funding", 8),
        ("Legal status for climate migrants", 0),
        ("Regional agreements", 5),
    ]

    index = client.get("/ballots/").get_data(as_text=True)
    assert "/ballots/climate-migration" in index
    page = client.get("/ballots/climate-migration")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "10 votes from 2 ballots in 2 groups" in html
    assert "1 ballot with fewer than 5 votes is left out" in html
    assert '<meter class="ballot-bar" min="0" max="100" value="70.0"' in html


def test_the_topic_csv_keeps_formulas_as_text(client, group):
    session = make_session(group)
    ballot = _ballot(session, questions="=cmd|' /C calc'!A0\n- +yes\n- -no\n- @maybe")
    for person in _participants(group, session, 5):
        services.vote(person, ballot, {ballot.questions[0].id: [ballot.questions[0].choices[0].id]})
    services.close_ballot(None, ballot)
    db.session.commit()

    response = client.get("/ballots/climate-migration/results.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:6] == ["topic", "question", "answers", "choice", "votes", "percent"]
    assert rows[1][1] == "'=cmd|' /C calc'!A0"
    assert [row[3] for row in rows[1:]] == ["'+yes", "'-no", "'@maybe"]
    assert [row[4:6] for row in rows[1:]] == [["5", "100.0"], ["0", "0.0"], ["0", "0.0"]]


def test_a_topic_with_no_closed_ballot_is_not_found(client, group):
    session = make_session(group)
    _ballot(session)
    assert client.get("/ballots/climate-migration").status_code == 404
    assert client.get("/ballots/climate-migration/results.csv").status_code == 404
