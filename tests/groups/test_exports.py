"""Organisers' CSV exports: one session's attendees, and the season report."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from forum.core.db import utc_now
from forum.extensions import db
from forum.groups import services
from tests import factories
from tests.conftest import login
from tests.groups.conftest import make_membership, make_session


def _rows(response) -> list[dict]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_attendees_and_the_season_report(client, group, organiser, member):
    sneaky = factories.make_user("sneaky@example.org", "=HYPERLINK(1)")
    make_membership(group, sneaky)
    day = (utc_now() + timedelta(days=3)).date()
    first = make_session(group, starts_on=day, capacity=1)
    make_session(group, starts_on=day + timedelta(days=7), title="Second")
    services.respond(member, first, "going")
    services.respond(sneaky, first, "going")
    services.mark_attendance(None, first, {member.id})
    ballot = services.create_ballot(
        None,
        first,
        services.BallotInput("Climate", services.parse_ballot_questions("Agree?\n- Yes\n- No")),
    )
    services.open_ballot(None, ballot)
    services.vote(member, ballot, {ballot.questions[0].id: [ballot.questions[0].choices[0].id]})
    db.session.commit()
    login(client, organiser)

    rows = _rows(client.get(f"/groups/{group.slug}/sessions/{first.id}/attendees.csv"))
    assert [(r["name"], r["answer"], r["attended"]) for r in rows] == [
        ("Mia Member", "going", "yes"),
        ("'=HYPERLINK(1)", "waitlisted", "no"),
    ]
    report = _rows(client.get(f"/groups/{group.slug}/report.csv"))
    assert [
        (r["title"], r["going"], r["waitlisted"], r["attended"], r["ballots_completed"])
        for r in report
    ] == [
        ("Climate migration", "1", "1", "1", "1"),
        ("Second", "0", "0", "0", ""),
    ]


def test_members_cannot_export(client, group, member):
    session = make_session(group)
    login(client, member)
    assert (
        client.get(f"/groups/{group.slug}/sessions/{session.id}/attendees.csv").status_code == 403
    )
    assert client.get(f"/groups/{group.slug}/report.csv").status_code == 403
