"""Scheduling sessions and seasons: times across daylight saving, readings, markdown, edits,
cancellation and the session's own discussion."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from forum.core.errors import PermissionDenied, ValidationFailed
from forum.discussions.models import Discussion
from forum.extensions import db
from forum.groups import services
from forum.groups.models import RsvpStatus, SessionStatus
from tests import factories
from tests.groups.conftest import emails_to, make_membership, make_session, session_input

NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)


def test_a_session_is_stored_in_utc_from_the_organisers_local_time(group, organiser):
    session = services.schedule_session(organiser, group, session_input(), now=NOW)
    # 7 March is winter time in London: 19:00 local is 19:00 UTC.
    assert session.starts_at == datetime(2030, 3, 7, 19, tzinfo=UTC)
    assert session.ends_at == datetime(2030, 3, 7, 21, tzinfo=UTC)
    assert session.timezone == "Europe/London"


def test_a_weekly_season_keeps_its_local_hour_when_the_clocks_change(group, organiser):
    plan = services.parse_season_lines("\n".join(f"Topic {n}" for n in range(1, 9)) + "\n\n")
    sessions = services.schedule_season(
        organiser, group, session_input(title="Great Decisions"), plan, 7, now=NOW
    )
    db.session.commit()
    assert len(sessions) == 8
    assert [s.title for s in sessions][:2] == [
        "Great Decisions 1: Topic 1",
        "Great Decisions 2: Topic 2",
    ]
    london = [s.starts_at.astimezone(ZoneInfo("Europe/London")) for s in sessions]
    assert all(moment.time() == time(19, 0) for moment in london)
    assert [moment.date() for moment in london][-1] == date(2030, 4, 25)
    # British Summer Time starts on 31 March 2030: the UTC hour moves, the local one does not.
    assert sessions[3].starts_at.hour == 19 and sessions[4].starts_at.hour == 18


def test_a_fortnightly_season_with_readings_per_session(group, organiser):
    first = factories.make_article("Melting Sea Lanes")
    second = factories.make_article("Beijing Signals")
    plan = services.parse_season_lines(
        "Arctic | melting-sea-lanes, http://forum.test/articles/beijing-signals\n"
        "China | beijing-signals"
    )
    sessions = services.schedule_season(organiser, group, session_input(), plan, 14, now=NOW)
    assert [r.article_id for r in sessions[0].readings] == [first.id, second.id]
    assert [r.article_id for r in sessions[1].readings] == [second.id]
    assert (sessions[1].starts_at - sessions[0].starts_at).days == 14


def test_a_season_names_the_session_with_an_unknown_reading(group, organiser):
    plan = services.parse_season_lines("Arctic\nChina | no-such-article")
    with pytest.raises(ValidationFailed) as error:
        services.schedule_season(organiser, group, session_input(), plan, 7, now=NOW)
    assert error.value.field == "plan"
    assert "Session 2" in error.value.message and "no-such-article" in error.value.message


def test_a_season_is_weekly_or_fortnightly(group, organiser):
    with pytest.raises(ValidationFailed):
        services.schedule_season(organiser, group, session_input(), [("A", [])], 3, now=NOW)


def test_members_cannot_schedule(group, member):
    with pytest.raises(PermissionDenied):
        services.schedule_session(member, group, session_input(), now=NOW)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"ends_at": time(18, 0)}, "ends_at"),
        ({"timezone": "Nowhere/Atlantis"}, "timezone"),
        ({"capacity": 0}, "capacity"),
        ({"online_url": "javascript:alert(1)"}, "online_url"),
        ({"title": "   "}, "title"),
        ({"readings": ["not-an-article"]}, "readings"),
    ],
)
def test_bad_session_values_are_refused_by_field(group, organiser, values, field):
    with pytest.raises(ValidationFailed) as error:
        services.schedule_session(organiser, group, session_input(**values), now=NOW)
    assert error.value.field == field


def test_agenda_and_questions_are_rendered_once_and_sanitised(group):
    session = make_session(
        group,
        now=NOW,
        agenda_md="1. Welcome\n2. **Discussion**",
        questions_md="<script>alert(1)</script> [x](javascript:alert(1))",
    )
    assert "<strong>Discussion</strong>" in session.agenda_html
    assert "<script>" not in session.questions_html
    assert 'href="javascript' not in session.questions_html


def test_the_facilitator_must_be_a_member(group, reader, member):
    with pytest.raises(ValidationFailed):
        make_session(group, now=NOW, facilitator_id=reader.id)
    assert make_session(group, now=NOW, facilitator_id=member.id).facilitator == member


def test_each_session_has_its_own_discussion_in_the_group(group):
    session = make_session(group, now=NOW)
    discussion = db.session.scalar(select(Discussion).where(Discussion.session_id == session.id))
    assert discussion.group_id == group.id and discussion.article_id is None


def test_editing_raises_the_sequence_and_keeps_the_id(group, organiser):
    session = make_session(group, now=NOW)
    services.edit_session(organiser, session, session_input(starts_at=time(18, 30)), now=NOW)
    assert session.sequence == 1
    assert session.starts_at == datetime(2030, 3, 7, 18, 30, tzinfo=UTC)


def test_cancelling_tells_the_people_going_and_waiting(group, organiser, member, reader):
    make_membership(group, reader)
    declined = factories.make_user("declined@example.org", "Dee Declined")
    make_membership(group, declined)
    session = make_session(group, now=NOW, capacity=1)
    services.respond(member, session, "going", now=NOW)
    services.respond(reader, session, "going", now=NOW)
    services.respond(declined, session, "declined", now=NOW)
    services.cancel_session(organiser, session, "The library is closed.", now=NOW)
    db.session.commit()
    assert session.status is SessionStatus.CANCELLED
    for person in (member, reader):
        (email,) = emails_to(person.email)[-1:]
        assert email.subject == "Cancelled: Climate migration"
        assert "The library is closed." in email.text_body
    assert emails_to(declined.email) == []
    with pytest.raises(PermissionDenied):
        services.respond(member, session, RsvpStatus.GOING, now=NOW)


def test_a_past_session_keeps_the_organisers_summary(client, group, organiser):
    session = make_session(group, now=NOW)
    services.edit_session(
        organiser, session, session_input(summary_md="We agreed on **three** points."), now=NOW
    )
    db.session.commit()
    html = client.get(f"/groups/{group.slug}/sessions/{session.id}").get_data(as_text=True)
    assert "<strong>three</strong>" in html
