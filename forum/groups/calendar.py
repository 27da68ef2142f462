"""Sessions as iCalendar (RFC 5545): the group's feed and one session's "add to calendar".

Times are given in the session's own zone with a VTIMEZONE, so a calendar shows 19:00
London time on both sides of a clock change. UIDs come from the session's id and the site's
address (stable across edits); SEQUENCE rises with every change; cancelled sessions stay in
the feed with STATUS:CANCELLED so calendars remove them. What the organiser typed (titles,
topics, places) stays as typed; the few words the feed adds follow the calendar app's
Accept-Language.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from flask import current_app, url_for
from flask_babel import gettext as _
from icalendar import Calendar, Event

from forum.accounts.models import User
from forum.core.timefmt import local
from forum.groups.models import Group, GroupSession

PRODUCT_ID = "-//Forum//Discussion groups//EN"


def session_uid(session: GroupSession) -> str:
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    return f"session-{session.id}@{host}"


def _absolute(path: str) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + path


def _event(session: GroupSession) -> Event:
    event = Event()
    event.add("uid", session_uid(session))
    event.add("dtstamp", session.updated_at)
    event.add("last-modified", session.updated_at)
    event.add("sequence", session.sequence)
    event.add("summary", session.title)
    event.add("dtstart", local(session.starts_at, session.timezone))
    event.add("dtend", local(session.ends_at, session.timezone))
    event.add("status", "CANCELLED" if session.is_cancelled else "CONFIRMED")
    page = _absolute(url_for("groups.show_session", slug=session.group.slug, session_id=session.id))
    event.add("url", page)
    lines = [session.topic] if session.topic else []
    if session.readings:
        lines.append(_("Readings:"))
        lines += [
            f"- {reading.article.title}: "
            + _absolute(url_for("articles.show_article", slug=reading.article.slug))
            for reading in session.readings
        ]
    if session.online_url:
        lines.append(_("Online: %(url)s", url=session.online_url))
    lines.append(page)
    event.add("description", "\n".join(lines))
    where = ", ".join(part for part in (session.place, session.online_url) if part)
    if where:
        event.add("location", where)
    return event


def render_calendar(name: str, sessions: Iterable[GroupSession]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    for session in sessions:
        calendar.add_component(_event(session))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def group_calendar(group: Group, sessions: Iterable[GroupSession]) -> bytes:
    return render_calendar(group.name, sessions)


def personal_calendar(user: User, sessions: Iterable[GroupSession]) -> bytes:
    return render_calendar(_("%(name)s: my sessions", name=user.display_name), sessions)
