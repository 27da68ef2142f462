"""The day-before reminder: to the people going, with the readings, once."""

from __future__ import annotations

from datetime import UTC, date, datetime

from forum.extensions import db
from forum.groups import services
from tests import factories
from tests.groups.conftest import emails_to, make_membership, make_session

# The session starts 7 March 2030 at 19:00 London time, which is 19:00 UTC.
DAY_BEFORE = datetime(2030, 3, 6, 20, tzinfo=UTC)
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def test_the_people_going_are_reminded_once_with_the_readings(app, group, member, reader):
    make_membership(group, reader)
    factories.make_article("Melting Sea Lanes")
    session = make_session(
        group, now=NOW, readings=["melting-sea-lanes"], starts_on=date(2030, 3, 7)
    )
    services.respond(member, session, "going", now=NOW)
    services.respond(reader, session, "maybe", now=NOW)
    db.session.commit()

    assert services.queue_reminders(datetime(2030, 3, 5, 12, tzinfo=UTC)) == 0
    result = app.test_cli_runner().invoke(
        args=["groups", "send-reminders", "--now", "2030-03-06T20:00:00+0000"]
    )
    assert result.exit_code == 0, result.output
    assert "1 reminder queued." in result.output
    (email,) = emails_to(member.email)
    assert email.subject == "Tomorrow: Climate migration"
    assert "Melting Sea Lanes: http://forum.test/articles/melting-sea-lanes" in email.text_body
    assert emails_to(reader.email) == []

    assert services.queue_reminders(DAY_BEFORE) == 0
    db.session.commit()
    assert len(emails_to(member.email)) == 1


def test_cancelled_sessions_send_no_reminder(group, member):
    session = make_session(group, now=NOW, starts_on=date(2030, 3, 7))
    services.respond(member, session, "going", now=NOW)
    services.cancel_session(None, session, now=NOW)
    db.session.commit()
    assert services.queue_reminders(DAY_BEFORE) == 0
