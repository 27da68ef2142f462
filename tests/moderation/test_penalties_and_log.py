"""Suspended and banned people read but do not take part; every action is in the log."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from forum.core.db import utc_now
from forum.core.errors import PermissionDenied
from forum.discussions import permissions as discussion_permissions
from forum.discussions import services as discussions
from forum.extensions import db
from forum.moderation import queries, services
from forum.moderation.models import Action, AuditEntry
from tests import factories
from tests.conftest import login, post_form
from tests.moderation.conftest import make_pending


@pytest.fixture
def published(discussion, other_reader):
    return factories.make_post(discussion, other_reader, "Something to vote on.")


def test_a_suspended_reader_reads_but_cannot_post_vote_or_flag(
    client, moderator, reader, article, discussion, published
):
    # Signed in before the suspension: the session goes on, read-only. (Logging in anew is
    # refused by accounts while the suspension lasts.)
    login(client, reader)
    until = utc_now() + timedelta(days=2)
    services.suspend_user(moderator, reader, until, "Personal attacks")
    db.session.commit()
    for attempt in (
        lambda: discussions.post_reply(reader, discussion, None, "Let me in"),
        lambda: discussions.toggle_vote(reader, published),
        lambda: services.flag_post(reader, published, "spam"),
    ):
        with pytest.raises(PermissionDenied, match="suspended until .* Personal attacks"):
            attempt()

    page = client.get(f"/articles/{article.slug}").get_data(as_text=True)
    assert "Something to vote on." in page
    assert f"suspended until {until:%d %B %Y}" in page and "Personal attacks" in page
    assert "Post comment" not in page and "Flag this post" not in page
    response = post_form(client, f"/discussions/{discussion.id}/posts", {"body": "Hello"})
    assert response.status_code == 403
    assert "Personal attacks" in response.get_data(as_text=True)


def test_a_suspension_ends_by_itself(moderator, reader, discussion):
    now = utc_now()
    services.suspend_user(moderator, reader, now + timedelta(days=1), "Cool off", now=now)
    db.session.commit()
    assert not discussion_permissions.can_reply(reader, discussion)
    assert reader.is_banned(now + timedelta(hours=23))
    assert not reader.is_banned(now + timedelta(days=1, seconds=1))


def test_a_ban_says_so_and_has_no_end(moderator, reader, discussion):
    services.ban_user(moderator, reader, "Spam accounts")
    db.session.commit()
    with pytest.raises(PermissionDenied, match="banned.*Spam accounts"):
        discussions.post_reply(reader, discussion, None, "Hello")


def test_every_action_is_logged_with_who_what_and_why(moderator, reader, discussion):
    held = make_pending(discussion, reader, "Before")
    services.edit_and_approve_post(moderator, held, "After", "Typos")
    services.lock_discussion(moderator, discussion, True, "Heated")
    services.ban_user(moderator, reader, "Spam")
    db.session.commit()
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [entry.action for entry in entries] == [Action.EDIT_APPROVE, Action.LOCK, Action.BAN]
    assert all(entry.actor_id == moderator.id for entry in entries)
    assert (entries[0].before_text, entries[0].after_text, entries[0].reason) == (
        "Before",
        "After",
        "Typos",
    )
    assert entries[2].target_user_id == reader.id


def test_the_log_is_append_only(moderator, reader, discussion):
    services.ban_user(moderator, reader, "Spam")
    db.session.commit()
    entry = db.session.scalar(select(AuditEntry))
    entry.reason = "Nothing happened"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalar(select(AuditEntry)))
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()


def test_the_log_page_filters_and_paginates(client, moderator, discussion, monkeypatch):
    monkeypatch.setattr(queries, "LOG_PER_PAGE", 4)
    for n in range(queries.LOG_PER_PAGE + 1):
        author = factories.make_user(f"a{n}@example.org", f"Author {n}")
        services.approve_post(moderator, make_pending(discussion, author, f"Held {n}"))
    services.lock_discussion(moderator, discussion, True, "Calm down")
    db.session.commit()
    login(client, moderator)
    html = client.get("/moderation/log").get_data(as_text=True)
    assert "Page 1 of 2" in html
    assert "Calm down" in html
    filtered = client.get("/moderation/log?action=lock").get_data(as_text=True)
    assert "Calm down" in filtered and "Approved" not in filtered.split("<tbody>")[1]
    nobody = client.get("/moderation/log?actor=nobody").get_data(as_text=True)
    assert "No moderation actions match these filters." in nobody


def test_group_moderators_read_only_their_groups_log(
    client, moderator, group_moderator, discussion, group_discussion, reader
):
    services.lock_discussion(moderator, discussion, True, "Public lock")
    services.lock_discussion(moderator, group_discussion, True, "Group lock")
    db.session.commit()
    login(client, group_moderator)
    html = client.get("/moderation/log").get_data(as_text=True)
    assert "Group lock" in html and "Public lock" not in html


def test_admins_export_the_log_as_csv(client, admin, moderator, reader, discussion):
    held = make_pending(discussion, reader, "Before, with a comma")
    services.edit_and_approve_post(moderator, held, "After", "Tidied")
    db.session.commit()
    login(client, admin)
    response = client.get("/moderation/log.csv", buffered=True)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 1
    assert rows[0]["moderator"] == moderator.username
    assert rows[0]["action"] == "edit_approve"
    assert (rows[0]["before"], rows[0]["after"]) == ("Before, with a comma", "After")
