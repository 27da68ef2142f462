"""The calendar feeds, parsed back with the icalendar package."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from icalendar import Calendar

from forum.core.db import utc_now
from forum.extensions import db
from forum.groups import services
from forum.groups.models import Visibility
from tests import factories
from tests.groups.conftest import make_session, session_input


def _future_date(days: int):
    return (utc_now() + timedelta(days=days)).date()


def _parse(response) -> Calendar:
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    return Calendar.from_ical(response.data)


def test_the_group_feed_carries_sessions_with_stable_uids_and_local_times(client, group, organiser):
    article = factories.make_article("Melting Sea Lanes")
    plan = [("Arctic", ["melting-sea-lanes"]), ("China", [])]
    sessions = services.schedule_season(
        None, group, session_input(starts_on=_future_date(10)), plan, 7
    )
    db.session.commit()

    calendar = _parse(client.get("/groups/great-decisions-discussion-group/calendar.ics"))
    events = calendar.walk("VEVENT")
    assert len(events) == 2
    assert str(events[0]["UID"]) == f"session-{sessions[0].id}@forum.test"
    start = events[0].decoded("DTSTART")
    assert start.tzinfo is not None and start.time() == time(19, 0)
    assert str(start.tzinfo) == "Europe/London"
    assert start == sessions[0].starts_at
    assert calendar.walk("VTIMEZONE"), "the zone's rules travel with the feed"
    assert "Melting Sea Lanes" in str(events[0]["DESCRIPTION"])
    assert f"/articles/{article.slug}" in str(events[0]["DESCRIPTION"])
    assert str(events[0]["STATUS"]) == "CONFIRMED"

    uid = str(events[1]["UID"])
    services.edit_session(
        None, sessions[1], session_input(starts_on=_future_date(20), title="China")
    )
    services.cancel_session(None, sessions[1])
    db.session.commit()
    again = _parse(client.get("/groups/great-decisions-discussion-group/calendar.ics"))
    changed = again.walk("VEVENT")[1]
    assert str(changed["UID"]) == uid
    assert int(changed["SEQUENCE"]) == 2
    assert str(changed["STATUS"]) == "CANCELLED"


def test_one_session_as_a_calendar_file(client, group):
    session = make_session(group, starts_on=_future_date(3))
    response = client.get(
        f"/groups/great-decisions-discussion-group/sessions/{session.id}/calendar.ics"
    )
    (event,) = _parse(response).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Climate migration"
    assert str(event["LOCATION"]) == "Central Library, Room 2"
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(hours=2)


def test_a_calendar_app_polling_again_gets_a_304_until_a_session_changes(client, group):
    session = make_session(group, starts_on=_future_date(3))
    url = "/groups/great-decisions-discussion-group/calendar.ics"
    etag = client.get(url).headers["ETag"]

    unchanged = client.get(url, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.data == b""

    services.edit_session(None, session, session_input(starts_on=_future_date(4)))
    db.session.commit()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_a_members_only_groups_feed_is_not_found_for_others(client, group):
    group.visibility = Visibility.MEMBERS
    db.session.commit()
    assert client.get("/groups/great-decisions-discussion-group/calendar.ics").status_code == 404


def test_old_sessions_leave_the_feed(client, group):
    make_session(group, now=datetime(2020, 1, 1, tzinfo=UTC), starts_on=_future_date(-100))
    assert (
        _parse(client.get("/groups/great-decisions-discussion-group/calendar.ics")).walk("VEVENT")
        == []
    )
