"""A member's data: the download holds everything they made, deleting the account leaves no
personal data in any table, and sign-in addresses are forgotten after the retention period."""

from __future__ import annotations

import json
from datetime import date, time, timedelta

import pytest
from sqlalchemy import String, Text, func, or_, select

from forum.accounts.models import User
from forum.core.db import utc_now
from forum.core.mail import OutboxMessage, OutboxState, queue_email
from forum.discussions import services as discussions
from forum.discussions.models import Post, PostState
from forum.extensions import db
from forum.groups.models import Ballot, BallotVoter, MemberRole, Membership, Rsvp, RsvpStatus
from forum.groups.services import SessionInput, ensure_group, respond, schedule_session
from forum.moderation import services as moderation
from tests import factories
from tests.conftest import login, post_form

EMAIL = "zelda.quintessa@example.org"
NAME = "Zelda Quintessa"


@pytest.fixture
def member():
    user = factories.make_user(EMAIL, NAME)
    user.approved_post_count = 5  # trusted: posts are published at once
    db.session.commit()
    return user


@pytest.fixture
def world(member, reader, moderator):
    """Everything a member leaves behind in a season of taking part, and others' posts
    around it. Returns what the member made, for the export to be checked against."""
    article = factories.make_article("Beijing Signals")
    discussion = factories.public_discussion(article)
    others = factories.make_post(discussion, reader, "Rita's opening post.")
    # Through the services, so notifications and emails are made as on the site.
    first = discussions.post_reply(member, discussion, None, "My first thought.")
    reply = discussions.post_reply(member, discussion, others, "Replying to Rita.")
    discussions.edit_post(member, first, "My first thought, corrected.")
    discussions.post_reply(reader, discussion, first, "Rita answers.")
    discussions.toggle_vote(member, others)
    # A moderator's action on her post: the log's subject line names the author.
    removed = discussions.post_reply(member, discussion, None, "Something regrettable.")
    moderation.delete_post(moderator, removed, "Uncivil.")
    flag = moderation.flag_post(member, others, "off_topic")
    moderation.flag_post(reader, reply, "other", note="Off topic entirely")
    group = ensure_group("Great Decisions Discussion group")
    db.session.add(Membership(group_id=group.id, user_id=member.id, role=MemberRole.MEMBER))
    session = schedule_session(
        None,
        group,
        SessionInput(
            title="Climate migration",
            starts_on=date(2030, 3, 7),
            starts_at=time(19, 0),
            ends_at=time(21, 0),
            timezone="Europe/London",
        ),
    )
    rsvp = respond(member, session, RsvpStatus.GOING)
    ballot = Ballot(session_id=session.id, topic="Climate migration", topic_key="climate-migration")
    db.session.add(ballot)
    db.session.flush()
    db.session.add(BallotVoter(ballot_id=ballot.id, user_id=member.id))
    queue_email(member.email, "accounts/email_changed", user=member, old_email=member.email)
    db.session.commit()
    return {
        "posts": {first.id, reply.id, removed.id},
        "published": {first.id, reply.id},
        "edited": first.id,
        "voted": others.id,
        "flag": flag.id,
        "flagged": others.id,
        "session": rsvp.session_id,
        "ballot": ballot.id,
        "discussion": discussion,
        "others": others,
    }


# Export -------------------------------------------------------------------------------------


def test_the_download_holds_everything_the_member_made(client, member, world):
    login(client, member)
    assert "Download my data" in client.get("/settings/privacy").get_data(as_text=True)
    response = client.get("/settings/privacy/my-data.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.get_data(as_text=True))

    assert data["profile"]["email"] == EMAIL
    assert data["profile"]["display_name"] == NAME
    assert data["profile"]["last_ip"] == "127.0.0.1"
    assert data["profile"]["language"] is None  # the browser's
    assert {post["id"] for post in data["posts"]} == world["posts"]
    edited = next(post for post in data["posts"] if post["id"] == world["edited"])
    assert edited["body_markdown"] == "My first thought, corrected."
    assert [r["body_markdown"] for r in edited["revisions"]] == ["My first thought."]
    assert edited["article"] == "Beijing Signals"
    assert [vote["post_id"] for vote in data["votes"]] == [world["voted"]]
    assert [(f["post_id"], f["reason"]) for f in data["flags"]] == [(world["flagged"], "off_topic")]
    assert [(r["session_id"], r["status"]) for r in data["rsvps"]] == [(world["session"], "going")]
    assert data["groups"][0]["group"] == "Great Decisions Discussion group"
    assert [b["ballot_id"] for b in data["ballots"]["voted_in"]] == [world["ballot"]]
    assert "never what you chose" in data["ballots"]["note"]


def test_counts_in_the_download_match_the_database(client, member, world):
    login(client, member)
    data = client.get("/settings/privacy/my-data.json").get_json()
    authored = db.session.scalar(
        select(func.count()).select_from(Post).where(Post.author_id == member.id)
    )
    assert len(data["posts"]) == authored == 3


def test_only_the_member_downloads_their_data(member, reader):
    from forum.accounts.privacy import export_data
    from forum.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        export_data(reader, member)


# Deletion -----------------------------------------------------------------------------------


def _personal_data_left(*needles: str) -> list[str]:
    """Every text cell of every table that still contains one of ``needles``."""
    found = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text)]
        if not columns:
            continue
        conditions = [
            func.lower(column).contains(needle.lower()) for column in columns for needle in needles
        ]
        for row in db.session.execute(select(*columns).where(or_(*conditions))):
            found.append(f"{table.name}: {dict(row._mapping)}")
    return found


def _delete(client, posts: str, password: str = factories.PASSWORD):
    return post_form(
        client,
        "/settings/privacy/delete",
        {"posts": posts, "password": password},
        page="/settings/privacy",
    )


@pytest.mark.parametrize("posts", ["keep", "remove"])
def test_deleting_the_account_leaves_no_personal_data(client, member, world, posts):
    login(client, member)
    # The name and address are all over the database before.
    before = {found.partition(":")[0] for found in _personal_data_left(EMAIL, NAME)}
    assert {"users", "outbox_messages", "moderation_log"} <= before
    response = _delete(client, posts)
    assert response.status_code == 302
    db.session.expire_all()
    assert _personal_data_left(EMAIL, NAME) == []
    # Nor the first name alone: the site's own texts about her (emails to others, the log).
    assert _personal_data_left("Zelda") == []

    mine = db.session.scalars(select(Post).where(Post.id.in_(world["published"]))).all()
    if posts == "keep":
        assert {post.state for post in mine} == {PostState.PUBLISHED}
        assert {post.author.display_name for post in mine} == {"Deleted member"}
    else:
        assert {(post.state, post.body_md) for post in mine} == {(PostState.DELETED, "")}
    # Other people's posts, and the reply under the member's post, stay.
    assert db.session.get(Post, world["others"].id).body_md == "Rita's opening post."


def test_emails_stop_and_sessions_end(app, client, member, world, outbox):
    other_device = app.test_client()
    login(other_device, member)
    login(client, member)
    # An email the worker will retry in a while: it must never go.
    retry = queue_email(EMAIL, "accounts/email_changed", user=member, old_email=EMAIL)
    retry.next_attempt_at = utc_now() + timedelta(minutes=10)
    db.session.commit()
    assert retry.state is OutboxState.QUEUED
    sent_before = len(outbox)
    response = _delete(client, "keep")
    assert "Your account is deleted" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert db.session.scalar(select(func.count()).where(OutboxMessage.to_address == EMAIL)) == 0
    assert len(outbox) == sent_before
    for device in (client, other_device):
        settings = device.get("/settings")
        assert settings.status_code == 302 and "/auth/login" in settings.headers["Location"]
    refused = post_form(client, "/auth/login", {"email": EMAIL, "password": factories.PASSWORD})
    assert refused.status_code == 422
    assert client.get(f"/users/{member.username}").status_code == 404
    assert (
        db.session.scalar(select(func.count()).select_from(Rsvp).where(Rsvp.user_id == member.id))
        == 0
    )


def test_a_wrong_password_deletes_nothing(client, member):
    login(client, member)
    response = _delete(client, "keep", password="not my password")
    assert response.status_code == 422
    assert "That is not your password." in response.get_data(as_text=True)
    db.session.expire_all()
    assert not member.is_deleted and member.email == EMAIL


# Addresses ----------------------------------------------------------------------------------


def test_sign_in_addresses_are_forgotten_after_the_retention_period(app, client, member, reader):
    login(client, member)
    login(app.test_client(), reader)
    db.session.expire_all()
    assert member.last_ip == "127.0.0.1"
    member.last_ip_at = utc_now() - timedelta(days=31)
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["users", "purge-ips"])
    assert result.exit_code == 0, result.output
    assert "Forgot the IP addresses of 1 accounts." in result.output
    db.session.expire_all()
    assert (member.last_ip, member.last_ip_at) == (None, None)
    assert reader.last_ip == "127.0.0.1"  # signed in today: kept
    result = app.test_cli_runner().invoke(args=["users", "purge-ips", "--days", "0"])
    assert "Forgot the IP addresses of 1 accounts." in result.output


def test_the_worker_forgets_addresses_every_hour(app, member):
    from forum.admin.jobs import housekeeping

    member.last_ip, member.last_ip_at = "203.0.113.9", utc_now() - timedelta(days=90)
    db.session.commit()
    assert housekeeping() == {"closed": 0, "addresses": 1}
    db.session.expire_all()
    assert db.session.get(User, member.id).last_ip is None
