"""Groups' notifications: join requests, sessions, seats, reminders and ballots reach people on
the site and, as each chooses, by email with a one-click unsubscribe."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from forum.accounts.models import DigestFrequency
from forum.core.db import utc_now
from forum.core.errors import ValidationFailed
from forum.core.mail import OutboxMessage
from forum.discussions.models import PostState
from forum.extensions import db
from forum.groups import services as groups
from forum.groups.models import Ballot, BallotStatus, BallotVoter, JoinPolicy
from forum.notifications import jobs, services
from forum.notifications.digests import send_due_digests
from forum.notifications.models import Kind, Notification
from forum.notifications.queries import memberships_of, queue_sizes
from tests import factories
from tests.conftest import count_queries, login, post_form
from tests.groups.conftest import make_membership, make_session, session_input

NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)
SLUG = "great-decisions-discussion-group"


def notes(user, kind: str | None = None) -> list[Notification]:
    db.session.expire_all()
    statement = select(Notification).where(Notification.user_id == user.id)
    if kind:
        statement = statement.where(Notification.kind == kind)
    return list(db.session.scalars(statement.order_by(Notification.id)))


def mail_to(user, subject_start: str = "") -> list[OutboxMessage]:
    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == user.email).order_by("id")
    )
    return [row for row in rows if row.subject.startswith(subject_start)]


def test_a_join_request_and_its_answer_are_notifications_with_their_emails(
    group, organiser, reader
):
    group.join_policy = JoinPolicy.REQUEST
    db.session.commit()
    membership = groups.join_group(reader, group)
    db.session.commit()

    [note] = notes(organiser, Kind.JOIN_REQUEST)
    assert note.detail == "Rita Reader asks to join Great Decisions Discussion group."
    assert note.actor_id == reader.id and note.group_id == group.id
    [email] = mail_to(organiser, "Rita Reader asks to join")
    assert f"http://forum.test/groups/{SLUG}/members" in email.text_body
    assert "/digests/unsubscribe/" in email.headers["List-Unsubscribe"]
    assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    groups.approve_request(organiser, group, membership)
    db.session.commit()
    [answer] = notes(reader, Kind.JOIN_ANSWERED)
    assert "was approved" in answer.detail
    assert mail_to(reader, "You are now a member of")


def test_turning_a_kind_off_keeps_the_notice_on_the_site_only(group, organiser, reader):
    group.join_policy = JoinPolicy.REQUEST
    services.set_email_preference(organiser, organiser, Kind.JOIN_REQUEST, False)
    db.session.commit()
    groups.join_group(reader, group)
    db.session.commit()
    assert len(notes(organiser, Kind.JOIN_REQUEST)) == 1
    assert mail_to(organiser) == []


def test_a_new_session_tells_the_members_on_the_site_and_by_email_if_they_ask(
    group, organiser, member, reader
):
    make_membership(group, reader)
    services.set_email_preference(reader, reader, Kind.SESSION_SCHEDULED, True)
    db.session.commit()
    session = groups.schedule_session(organiser, group, session_input(), now=NOW)
    db.session.commit()

    assert notes(organiser, Kind.SESSION_SCHEDULED) == [], "not the one who scheduled it"
    [note] = notes(member, Kind.SESSION_SCHEDULED)
    assert note.session_id == session.id
    assert "Climate migration" in note.detail and "Thursday 7 March 2030, 19:00 UTC" in note.detail
    assert mail_to(member) == [], "scheduled sessions come by email only when asked for"
    [email] = mail_to(reader, "New session: Climate migration")
    assert f"http://forum.test/groups/{SLUG}/sessions/{session.id}" in email.text_body
    assert "<!doctype html>" in email.html_body and "Unsubscribe" in email.html_body


def test_a_move_tells_the_people_who_answered_and_a_new_agenda_tells_nobody(
    group, organiser, member, reader, other_reader
):
    for person in (reader, other_reader):
        make_membership(group, person)
    session = make_session(group, now=NOW)
    groups.respond(member, session, "going", now=NOW)
    groups.respond(reader, session, "maybe", now=NOW)
    groups.respond(other_reader, session, "declined", now=NOW)
    db.session.commit()

    groups.edit_session(organiser, session, session_input(agenda_md="Tea first."), now=NOW)
    db.session.commit()
    assert notes(member, Kind.SESSION_CHANGED) == []

    moved = session_input(starts_on=date(2030, 3, 8), place="Town Hall")
    groups.edit_session(organiser, session, moved, now=NOW)
    db.session.commit()
    for person in (member, reader):
        [note] = notes(person, Kind.SESSION_CHANGED)
        assert "now Friday 8 March 2030, 19:00 UTC" in note.detail
        [email] = mail_to(person, "Changed: Climate migration")
        assert "Place: Town Hall" in email.text_body
    assert notes(other_reader, Kind.SESSION_CHANGED) == []


def test_cancellation_and_a_freed_seat_are_on_the_site_as_well(group, organiser, member, reader):
    make_membership(group, reader)
    session = make_session(group, now=NOW, capacity=1)
    groups.respond(member, session, "going", now=NOW)
    groups.respond(reader, session, "going", now=NOW)
    groups.respond(member, session, "declined", now=NOW)
    db.session.commit()
    [promoted] = notes(reader, Kind.WAITLIST_PROMOTED)
    assert promoted.detail.startswith("A seat freed up")
    assert mail_to(reader, "A seat is yours")

    groups.cancel_session(organiser, session, "The library is closed.", now=NOW)
    db.session.commit()
    [cancelled] = notes(reader, Kind.SESSION_CANCELLED)
    assert cancelled.detail.endswith("is cancelled. The library is closed.")
    assert notes(member, Kind.SESSION_CANCELLED) == [], "they had said they would not come"


def test_the_worker_reminds_each_person_once_with_the_readings(group, member, reader):
    make_membership(group, reader)
    factories.make_article("Melting Sea Lanes")
    # The worker acts at the real time: the session starts in 20 hours.
    session = make_session(group, readings=["melting-sea-lanes"])
    session.starts_at = utc_now() + timedelta(hours=20)
    session.ends_at = session.starts_at + timedelta(hours=2)
    groups.respond(member, session, "going")
    groups.respond(reader, session, "going")
    services.set_email_preference(reader, reader, Kind.SESSION_REMINDER, False)
    db.session.commit()

    assert jobs.send_reminders() == 2
    assert jobs.send_reminders() == 0
    [note] = notes(member, Kind.SESSION_REMINDER)
    assert note.detail.startswith("Tomorrow: “Climate migration”")
    assert note.detail.endswith("Readings: Melting Sea Lanes.")
    [email] = mail_to(member, "Tomorrow: Climate migration")
    assert "Melting Sea Lanes: http://forum.test/articles/melting-sea-lanes" in email.text_body
    assert len(notes(reader, Kind.SESSION_REMINDER)) == 1
    assert mail_to(reader, "Tomorrow") == [], "reminders by email were turned off"


def test_the_list_links_each_notice_to_its_session(client, group, organiser, member):
    session = make_session(group, now=NOW)
    login(client, member)
    page = client.get("/notifications/").get_data(as_text=True)
    assert "New session of Great Decisions Discussion group" in page
    assert "See the session" in page
    [note] = notes(member)
    path = f"/groups/{SLUG}/sessions/{session.id}"
    response = post_form(
        client,
        "/notifications/read",
        {"notification_id": note.id, "go": path},
        page="/notifications/",
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(path)
    assert notes(member)[0].read_at is not None


# Ballots -------------------------------------------------------------------------------------


@pytest.fixture
def ballot(group, member, reader, other_reader):
    """An open ballot after a session Mia and Rita went to (Otto said maybe)."""
    for person in (reader, other_reader):
        make_membership(group, person)
    session = make_session(group, now=NOW)
    groups.respond(member, session, "going", now=NOW)
    groups.respond(reader, session, "going", now=NOW)
    groups.respond(other_reader, session, "maybe", now=NOW)
    ballot = Ballot(
        session_id=session.id,
        topic=session.topic,
        topic_key="climate-migration",
        status=BallotStatus.OPEN,
        closes_at=NOW + timedelta(days=3),
    )
    db.session.add(ballot)
    db.session.commit()
    return ballot


def test_a_ballot_opening_and_closing_soon_reach_those_who_may_vote(
    ballot, member, reader, other_reader
):
    assert {n.user_id for n in services.notify_ballots(NOW)} == {member.id, reader.id}
    db.session.commit()
    assert services.notify_ballots(NOW) == []
    [opened] = notes(member, Kind.BALLOT_OPENED)
    assert opened.detail.startswith("The ballot on “Climate migration”")
    [email] = mail_to(member, "Ballot open: Climate migration")
    path = f"/groups/{SLUG}/sessions/{ballot.session_id}/ballot"
    assert f"http://forum.test{path}" in email.text_body
    assert notes(other_reader, Kind.BALLOT_OPENED) == [], "a maybe is not a vote"

    # Rita votes; a day before the deadline only Mia is told it closes.
    db.session.add(BallotVoter(ballot_id=ballot.id, user_id=reader.id))
    db.session.commit()
    later = ballot.closes_at - timedelta(hours=20)
    assert [n.user_id for n in services.notify_ballots(later)] == [member.id]
    db.session.commit()
    assert services.notify_ballots(later + timedelta(hours=1)) == []
    assert mail_to(member, "Closing soon: the ballot on Climate migration")
    assert notes(reader, Kind.BALLOT_CLOSING) == []


def test_a_ballot_that_opens_with_less_than_a_day_left_is_told_once(ballot, member):
    ballot.closes_at = NOW + timedelta(hours=10)
    db.session.commit()
    services.notify_ballots(NOW)
    db.session.commit()
    services.notify_ballots(NOW + timedelta(hours=1))
    db.session.commit()
    assert [n.kind for n in notes(member) if n.kind.startswith("ballot")] == [Kind.BALLOT_OPENED]


# The moderators' queue alert -------------------------------------------------------------------


def _held_posts(count: int, author, title: str = "Held Back") -> None:
    discussion = factories.public_discussion(factories.make_article(title))
    for n in range(count):
        factories.make_post(discussion, author, f"Held {n}.", state=PostState.PENDING)


def test_a_moderator_sets_a_threshold_and_is_alerted_once_a_day(client, moderator, reader):
    login(client, moderator)
    page = client.get("/settings/notifications").get_data(as_text=True)
    assert "Alert me when the moderation queue holds at least" in page
    response = post_form(
        client,
        "/settings/notifications",
        {"queue_threshold": "0", "digest_weekday": "0"},
        page="/settings/notifications",
    )
    assert response.status_code == 422
    assert "Choose a number from 1 to 10,000" in response.get_data(as_text=True)
    response = post_form(
        client,
        "/settings/notifications",
        {"queue_threshold": "3", "digest_weekday": "0", f"email_{Kind.QUEUE_GROWN}": "y"},
        page="/settings/notifications",
    )
    assert response.status_code == 302
    assert services.queue_alert_threshold(moderator) == 3

    _held_posts(2, reader)
    assert services.send_queue_alerts(NOW) == []
    _held_posts(1, reader, "Held Again")
    [alert] = services.send_queue_alerts(NOW)
    db.session.commit()
    assert alert.detail == "3 posts wait in your moderation queue (your alert is set at 3)."
    assert services.send_queue_alerts(NOW + timedelta(hours=5)) == []
    assert len(services.send_queue_alerts(NOW + timedelta(days=1))) == 1
    db.session.commit()
    assert len(mail_to(moderator, "The moderation queue reaches")) == 2


def test_readers_are_not_offered_the_queue_alert(client, reader):
    login(client, reader)
    page = client.get("/settings/notifications").get_data(as_text=True)
    assert "moderation queue" not in page
    with pytest.raises(ValidationFailed, match="Only moderators"):
        services.set_queue_alert(reader, reader, 5)


def test_group_organisers_count_only_their_groups_queue(group, organiser, moderator, reader):
    _held_posts(2, reader)
    discussion = groups.open_group_discussion(None, group, factories.make_article("Group Read"))
    db.session.commit()
    factories.make_post(discussion, reader, "Held in the group.", state=PostState.PENDING)
    assert queue_sizes([organiser], memberships_of([organiser.id])) == {organiser.id: 1}
    # A plain member has no queue; the site's moderators see all three.
    assert queue_sizes([reader], memberships_of([reader.id])) == {}
    assert queue_sizes([moderator], memberships_of([moderator.id])) == {moderator.id: 3}


# Digests: what is coming ------------------------------------------------------------------------

DIGEST_AT = datetime(2030, 3, 5, 7, 5, tzinfo=UTC)  # 07:05 in London (winter time)


def _daily(*people) -> None:
    for person in people:
        person.digest_frequency = DigestFrequency.DAILY
        person.timezone = "Europe/London"
        person.created_at = datetime(2030, 1, 1, tzinfo=UTC)
    db.session.commit()


@pytest.fixture
def coming(group, member, moderator, reader):
    """News for the digest (an article), Mia's sessions this week and next, and a ballot."""
    factories.make_article("Melting Sea Lanes", published_at=datetime(2030, 3, 4, 12, tzinfo=UTC))
    soon = make_session(group, now=NOW, readings=["melting-sea-lanes"], starts_on=date(2030, 3, 7))
    make_session(group, now=NOW, title="Far off", topic="Far off", starts_on=date(2030, 3, 14))
    groups.respond(member, soon, "going", now=NOW)
    earlier = make_session(group, now=NOW, title="Trade", topic="Trade", starts_on=date(2030, 3, 1))
    groups.respond(member, earlier, "going", now=NOW)
    db.session.add(
        Ballot(
            session_id=earlier.id,
            topic="Trade",
            topic_key="trade",
            status=BallotStatus.OPEN,
            closes_at=DIGEST_AT + timedelta(hours=30),
        )
    )
    _held_posts(2, reader)
    _daily(member, moderator)
    return soon


def test_the_digest_carries_the_weeks_sessions_ballots_and_the_queue(coming, member, moderator):
    send_due_digests(DIGEST_AT)
    [digest] = mail_to(member, "What is new on")
    text = digest.text_body
    assert "YOUR GROUPS' SESSIONS IN THE NEXT 7 DAYS" in text
    assert (
        "* Climate migration (Great Decisions Discussion group): Thursday 7 March, 19:00 GMT"
        in text
    )
    assert f"You are going: http://forum.test/groups/{SLUG}/sessions/{coming.id}" in text
    assert "Read before: Melting Sea Lanes, http://forum.test/articles/melting-sea-lanes" in text
    assert "Far off" not in text, "a week and more away"
    assert "BALLOTS CLOSING SOON\n\n* Trade (Great Decisions Discussion group): closes" in text
    assert "MODERATION QUEUE" not in text
    assert "Your groups' sessions in the next 7 days" in digest.html_body

    [for_moderator] = mail_to(moderator, "What is new on")
    assert "2 posts wait in your queue: http://forum.test/moderation/" in for_moderator.text_body
    assert "SESSIONS" not in for_moderator.text_body, "not a member of the group"


def test_what_is_coming_alone_sends_no_digest(coming, member):
    send_due_digests(DIGEST_AT)
    db.session.commit()
    # The next day nothing is new: the session and the ballot wait for a digest with news.
    assert send_due_digests(DIGEST_AT + timedelta(days=1))[0].sent is False
    assert len(mail_to(member, "What is new on")) == 1


def test_the_digests_reads_do_not_grow_with_members_sessions_and_ballots(group, coming, held_mail):
    def people(count: int, start: int) -> list:
        made = []
        for n in range(start, start + count):
            person = factories.make_user(f"m{n}@example.org", f"Member {n}")
            make_membership(group, person)
            groups.respond(person, coming, "going", now=NOW)
            made.append(person)
        _daily(*made)
        return made

    def reads(now) -> list[str]:
        with count_queries() as statements:
            outcomes = send_due_digests(now)
        assert outcomes and all(o.sent for o in outcomes)
        return [s for s in statements if s.lstrip().upper().startswith("SELECT")]

    people(2, 0)
    few = reads(DIGEST_AT)
    people(12, 10)
    factories.make_article("More News", published_at=DIGEST_AT + timedelta(hours=2))
    many = reads(DIGEST_AT + timedelta(days=1))
    assert len(many) == len(few), (few, many)


def test_the_worker_sends_ballot_notices_and_queue_alerts_once(
    app, ballot, member, reader, moderator
):
    assert {"send_reminders", "send_alerts"} <= set(app.extensions[jobs.TASKS])
    ballot.closes_at = utc_now() + timedelta(days=3)
    services.set_queue_alert(moderator, moderator, 1)
    _held_posts(1, reader)
    assert jobs.send_alerts() == 3  # Mia and Rita hear of the ballot, the moderator of the queue
    assert jobs.send_alerts() == 0
    assert len(notes(moderator, Kind.QUEUE_GROWN)) == 1
