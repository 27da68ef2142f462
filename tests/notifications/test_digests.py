"""Digests: when they are due, what they hold, each item once, and one per period."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from forum.accounts.models import DigestFrequency
from forum.core.mail import OutboxMessage, OutboxState
from forum.extensions import db
from forum.notifications.digests import due_period, send_due_digests
from forum.notifications.models import Digest, DigestSchedule
from tests import factories
from tests.conftest import count_queries, login
from tests.notifications.conftest import trust

SNAPSHOT = Path(__file__).parent / "snapshots" / "digest.txt"
BASE_URL = "http://forum.test"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize(
    ("zone", "now", "expected"),
    [
        # 07:00 in London in winter is 07:00 UTC; a minute before, yesterday's is the latest.
        ("Europe/London", "2026-11-30T07:00:00+00:00", ("2026-11-30T07:00:00+00:00", "2026-11-30")),
        ("Europe/London", "2026-11-30T06:59:00+00:00", ("2026-11-29T07:00:00+00:00", "2026-11-29")),
        # New York is five hours behind in winter, Tokyo nine ahead.
        (
            "America/New_York",
            "2026-11-30T12:30:00+00:00",
            ("2026-11-30T12:00:00+00:00", "2026-11-30"),
        ),
        ("Asia/Tokyo", "2026-11-30T00:30:00+00:00", ("2026-11-29T22:00:00+00:00", "2026-11-30")),
        # Across the spring change (29 March 2026 in Europe): still 07:00 on the wall clock.
        ("Europe/Berlin", "2026-03-28T06:30:00+00:00", ("2026-03-28T06:00:00+00:00", "2026-03-28")),
        ("Europe/Berlin", "2026-03-29T05:30:00+00:00", ("2026-03-29T05:00:00+00:00", "2026-03-29")),
        # ...and the autumn change in New York (1 November 2026).
        (
            "America/New_York",
            "2026-11-01T11:30:00+00:00",
            ("2026-10-31T11:00:00+00:00", "2026-10-31"),
        ),
        (
            "America/New_York",
            "2026-11-01T12:00:00+00:00",
            ("2026-11-01T12:00:00+00:00", "2026-11-01"),
        ),
    ],
)
def test_daily_digests_are_due_at_seven_local_time(zone, now, expected):
    due_at, key = due_period(DigestFrequency.DAILY, zone, 0, at(now))
    assert (due_at, key) == (at(expected[0]), f"daily:{expected[1]}")


def test_weekly_digests_are_due_on_the_chosen_weekday():
    # Friday 4 December 2026, 08:00 in Paris: Monday's digest is the latest, or today's (Friday).
    now = at("2026-12-04T07:00:00+00:00")
    assert due_period(DigestFrequency.WEEKLY, "Europe/Paris", 0, now)[1] == "weekly:2026-11-30"
    assert due_period(DigestFrequency.WEEKLY, "Europe/Paris", 4, now)[1] == "weekly:2026-12-04"
    assert due_period(DigestFrequency.OFF, "Europe/Paris", 4, now) is None


@pytest.fixture
def world(reader, other_reader):
    """Rita reads a daily digest in Paris; she follows the article's discussion."""
    trust(reader, other_reader)
    reader.digest_frequency = DigestFrequency.DAILY
    reader.timezone = "Europe/Paris"
    reader.created_at = at("2026-11-01T00:00:00+00:00")
    article = factories.make_article(
        "Beijing Signals", published_at=at("2026-11-28T10:00:00+00:00")
    )
    discussion = factories.public_discussion(article)
    root = factories.make_post(
        discussion, reader, "My opening thoughts.", created_at=at("2026-11-28T09:00:00+00:00")
    )
    from forum.discussions.models import Follow

    db.session.add(Follow(discussion_id=discussion.id, user_id=reader.id))
    db.session.commit()
    return {"article": article, "discussion": discussion, "root": root}


def post_at(world, author, when: str, body: str, parent=None, score: int = 0):
    return factories.make_post(
        world["discussion"], author, body, parent=parent, created_at=at(when), score=score
    )


def digest_messages() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.template == "notifications/digest")
            .order_by(OutboxMessage.id)
        )
    )


def test_one_digest_per_period_even_when_run_twice(world, other_reader, held_mail):
    post_at(world, other_reader, "2026-11-28T12:00:00+00:00", "A new view.")
    now = at("2026-11-28T06:10:00+00:00") + timedelta(days=1)  # 07:10 in Paris
    first = send_due_digests(now)
    again = send_due_digests(now + timedelta(hours=3))
    assert [(o.period_key, o.item_count, o.sent) for o in first] == [("daily:2026-11-29", 2, True)]
    assert again == []
    [message] = digest_messages()
    assert message.idempotency_key == f"digest:{world['root'].author_id}:daily:2026-11-29"
    assert message.state is OutboxState.QUEUED


def test_each_item_is_in_exactly_one_digest(world, other_reader, held_mail):
    early = post_at(world, other_reader, "2026-11-28T12:00:00+00:00", "Before the first digest.")
    send_due_digests(at("2026-11-29T06:05:00+00:00"))
    late = post_at(world, other_reader, "2026-11-29T06:30:00+00:00", "After the first digest.")
    send_due_digests(at("2026-11-30T06:05:00+00:00"))
    first, second = digest_messages()
    assert f"/posts/{early.id}" in first.text_body and f"/posts/{late.id}" not in first.text_body
    assert f"/posts/{late.id}" in second.text_body and f"/posts/{early.id}" not in second.text_body
    windows = db.session.execute(
        select(Digest.window_start, Digest.window_end).order_by(Digest.id)
    ).all()
    assert windows[0].window_end == windows[1].window_start


def test_no_digest_when_nothing_is_new(world, held_mail):
    # Rita's own post and an old article are not news to her.
    outcomes = send_due_digests(at("2026-11-30T06:05:00+00:00"))
    assert [(o.item_count, o.sent) for o in outcomes] == [(0, False)]
    assert digest_messages() == []


def test_weekly_readers_get_the_week_on_their_day(world, reader, other_reader, held_mail):
    reader.digest_frequency = DigestFrequency.WEEKLY
    db.session.add(DigestSchedule(user_id=reader.id, weekday=2))  # Wednesday
    db.session.commit()
    post_at(world, other_reader, "2026-11-29T12:00:00+00:00", "Sunday's post.")
    # Tuesday: the latest Wednesday 07:00 is 25 November's, not yet sent: it goes now.
    first = send_due_digests(at("2026-12-01T06:05:00+00:00"))
    assert [(o.period_key, o.sent) for o in first] == [("weekly:2026-11-25", True)]
    tuesday = post_at(world, other_reader, "2026-12-01T12:00:00+00:00", "Tuesday's post.")
    assert send_due_digests(at("2026-12-01T20:00:00+00:00")) == []
    second = send_due_digests(at("2026-12-02T06:05:00+00:00"))
    assert [(o.period_key, o.item_count, o.sent) for o in second] == [
        ("weekly:2026-12-02", 1, True)
    ]
    assert f"/posts/{tuesday.id}" in digest_messages()[-1].text_body


def test_the_digest_email_snapshot(world, reader, other_reader, held_mail):
    other = factories.make_user("third@example.org", "Tess Third")
    trust(other)
    post_at(world, other_reader, "2026-11-28T12:00:00+00:00", "A **good** point.", score=3)
    post_at(world, other, "2026-11-28T13:00:00+00:00", "A reply to Rita.", parent=world["root"])
    post_at(world, other, "2026-11-28T14:00:00+00:00", "Quieter.")
    send_due_digests(at("2026-11-29T06:05:00+00:00"))
    [message] = digest_messages()
    assert message.subject == "What is new on Forum: 4 items"
    headers = message.headers
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["List-Unsubscribe"].startswith(f"<{BASE_URL}/digests/unsubscribe/")
    text = re.sub(r"/posts/\d+", "/posts/N", message.text_body)
    text = re.sub(r"/digests/unsubscribe/\S+", "/digests/unsubscribe/TOKEN", text)
    if not SNAPSHOT.exists():
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(text)
    assert text == SNAPSHOT.read_text()
    html = message.html_body
    assert "<script" not in html and "<link" not in html and 'style="' in html
    assert all(href.startswith(BASE_URL) for href in re.findall(r'href="([^"]+)"', html))


def test_the_command_with_dry_run_user_and_now(app, world, reader, other_reader, held_mail):
    post_at(world, other_reader, "2026-11-28T12:00:00+00:00", "A new view.")
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["digests", "send", "--dry-run", "--now", "2026-11-29T07:05:00+01:00"])
    assert dry.exit_code == 0, dry.output
    assert "reader@example.org (daily:2026-11-29): would send 2 items" in dry.output
    assert digest_messages() == []
    other = runner.invoke(
        args=["digests", "send", "--user", "other@example.org", "--now", "2026-11-29T06:05Z"]
    )
    assert other.exit_code == 0 and "Queued 0 digest(s); 0 due." in other.output
    real = runner.invoke(
        args=["digests", "send", "--user", "READER@example.org", "--now", "2026-11-29T06:05Z"]
    )
    assert "Queued 1 digest(s); 1 due." in real.output
    assert len(digest_messages()) == 1
    bad = runner.invoke(args=["digests", "send", "--now", "tomorrow"])
    assert bad.exit_code == 2 and "not an ISO-8601 time" in bad.output
    preview = runner.invoke(args=["digests", "preview", "--user", "reader@example.org"])
    assert preview.exit_code == 0 and "Nothing new" in preview.output


def _readers(count: int, start: int) -> list:
    people = []
    for n in range(start, start + count):
        person = factories.make_user(f"r{n}@example.org", f"Reader {n}", timezone="Asia/Tokyo")
        person.digest_frequency = DigestFrequency.DAILY
        person.created_at = at("2026-11-01T00:00:00+00:00")
        people.append(person)
    db.session.commit()
    return people


def test_the_reads_do_not_grow_with_the_number_of_people(world, reader, other_reader, held_mail):
    from forum.discussions.models import Follow

    reader.digest_frequency = DigestFrequency.OFF
    post_at(world, other_reader, "2026-11-28T12:00:00+00:00", "News for everyone.")

    def reads_for(people, now):
        for person in people:
            db.session.add(Follow(discussion_id=world["discussion"].id, user_id=person.id))
        db.session.commit()
        with count_queries() as statements:
            outcomes = send_due_digests(now, only_email=None)
        assert all(o.sent for o in outcomes) and len(outcomes) >= len(people)
        return [s for s in statements if s.lstrip().upper().startswith("SELECT")]

    # 07:05 in Tokyo on two days: 2 digests on the first, 14 on the second.
    few = reads_for(_readers(2, 0), at("2026-11-28T22:05:00+00:00"))
    post_at(world, other_reader, "2026-11-29T12:00:00+00:00", "More news.")
    many = reads_for(_readers(12, 10), at("2026-11-29T22:05:00+00:00"))
    assert len(many) == len(few), (few, many)


def test_the_preview_page_shows_the_next_digest(client, world, reader, other_reader):
    post_at(world, other_reader, "2026-11-28T12:00:00+00:00", "Preview me.")
    login(client, reader)
    # The preview covers the last day when no digest was sent before; the post is older.
    page = client.get("/settings/digest-preview").get_data(as_text=True)
    assert "Your next digest" in page
    post = factories.make_post(world["discussion"], other_reader, "Fresh news.")
    page = client.get("/settings/digest-preview").get_data(as_text=True)
    assert "Fresh news." in page and f'href="/posts/{post.id}"' in page


def test_back_after_a_long_pause_brings_two_periods_not_months(world, other_reader, held_mail):
    send_due_digests(at("2026-11-10T06:05:00+00:00"))  # a digest long ago (nothing new then)
    old = post_at(world, other_reader, "2026-11-15T12:00:00+00:00", "Weeks ago.")
    recent = post_at(world, other_reader, "2026-11-28T12:00:00+00:00", "Yesterday.")
    send_due_digests(at("2026-11-29T06:05:00+00:00"))
    [message] = digest_messages()
    assert f"/posts/{recent.id}" in message.text_body
    assert f"/posts/{old.id}" not in message.text_body


def test_a_session_discussion_in_the_digest_links_to_the_session(reader, other_reader, held_mail):
    from forum.discussions.models import Follow
    from forum.groups.queries import session_discussion
    from forum.groups.services import ensure_group
    from tests.groups.conftest import make_membership, make_session

    group = ensure_group("Great Decisions Discussion group")
    for person in (reader, other_reader):
        make_membership(group, person)
    trust(reader, other_reader)
    reader.digest_frequency = DigestFrequency.DAILY
    reader.created_at = at("2026-11-01T00:00:00+00:00")
    session = make_session(group, title="Climate migration")
    discussion = session_discussion(session)
    db.session.add(Follow(discussion_id=discussion.id, user_id=reader.id))
    factories.make_post(
        discussion, other_reader, "See you there.", created_at=at("2026-11-28T12:00:00+00:00")
    )
    send_due_digests(at("2026-11-29T07:05:00+00:00"))
    [message] = digest_messages()
    assert "CLIMATE MIGRATION (Great Decisions Discussion group)" in message.text_body
    path = f"/groups/{group.slug}/sessions/{session.id}"
    assert f'href="{BASE_URL}{path}"' in message.html_body
