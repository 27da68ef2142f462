"""The personal calendar: a secret address serving the sessions one is going to."""

from __future__ import annotations

import re
from datetime import time, timedelta

from icalendar import Calendar

from forum.core.db import utc_now
from forum.extensions import db
from forum.groups import services
from forum.groups.models import CalendarFeed, Rsvp, RsvpStatus
from forum.groups.services import ensure_group
from tests import factories
from tests.conftest import login, post_form
from tests.groups.conftest import make_membership, make_session

# The address is shown in full (to paste into a calendar app) and linked.
ADDRESS = re.compile(r'href="(/groups/my/calendar/[^"]+\.ics)"[^>]*>http://forum\.test\1<')


def _day(days: int):
    return (utc_now() + timedelta(days=days)).date()


def _answer(session, user, status):
    db.session.add(Rsvp(session_id=session.id, user_id=user.id, status=status))
    db.session.commit()


def _address(client) -> str:
    page = client.get("/groups/my/calendar")
    assert page.status_code == 200
    match = ADDRESS.search(page.get_data(as_text=True))
    assert match, "no calendar address on the page"
    return match.group(1)


def test_the_secret_address_serves_only_the_sessions_one_is_going_to(client, group, member):
    going = make_session(group, title="Going", starts_on=_day(5), timezone="America/New_York")
    cancelled = make_session(group, title="Called off", starts_on=_day(6))
    maybe = make_session(group, title="Maybe", starts_on=_day(7))
    other_group = ensure_group("Riverside Readers")
    db.session.commit()
    elsewhere = make_session(other_group, title="Left group", starts_on=_day(8))
    _answer(going, member, RsvpStatus.GOING)
    _answer(cancelled, member, RsvpStatus.GOING)
    _answer(maybe, member, RsvpStatus.MAYBE)
    # Going to a session of a group they no longer belong to: not in their calendar.
    _answer(elsewhere, member, RsvpStatus.GOING)
    services.cancel_session(None, cancelled)
    someone = factories.make_user("someone@example.org", "Some One")
    make_membership(group, someone)
    _answer(maybe, someone, RsvpStatus.GOING)

    login(client, member)
    page = client.get("/groups/my/calendar")
    assert "Make my calendar address" in page.get_data(as_text=True)
    assert post_form(client, "/groups/my/calendar/renew", {}).status_code == 302
    address = _address(client)
    client.get("/auth/logout")

    response = client.get(address)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert response.headers["Cache-Control"] == "private, no-cache"
    calendar = Calendar.from_ical(response.data)
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"Going", "Called off"}
    assert str(events["Going"]["UID"]) == f"session-{going.id}@forum.test"
    assert str(events["Called off"]["STATUS"]) == "CANCELLED"
    start = events["Going"].decoded("DTSTART")
    assert start.time() == time(19, 0) and str(start.tzinfo) == "America/New_York"
    assert [str(z["TZID"]) for z in calendar.walk("VTIMEZONE")]


def test_a_new_address_replaces_the_old_and_turning_it_off_ends_it(client, member):
    login(client, member)
    post_form(client, "/groups/my/calendar/renew", {})
    first = _address(client)
    assert client.get(first).status_code == 200
    post_form(client, "/groups/my/calendar/renew", {}, "/groups/my/calendar")
    second = _address(client)
    assert second != first
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200

    post_form(client, "/groups/my/calendar/revoke", {}, "/groups/my/calendar")
    assert client.get(second).status_code == 404
    assert db.session.query(CalendarFeed).count() == 0
    assert "Make my calendar address" in client.get("/groups/my/calendar").text


def test_the_settings_need_a_login_and_a_guess_finds_nothing(client):
    assert client.get("/groups/my/calendar").status_code == 302
    assert client.get("/groups/my/calendar/not-a-real-token.ics").status_code == 404
