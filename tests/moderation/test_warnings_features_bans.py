"""Warnings the author must acknowledge, featured posts, bans from one group, penalties that
leave reading alone, the read-only switch, logged moderator edits, and what authors are told."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select

from forum.core.db import utc_now
from forum.core.errors import PermissionDenied
from forum.discussions import permissions as discussion_permissions
from forum.discussions import services as discussions
from forum.discussions.models import Discussion, PostState
from forum.extensions import db
from forum.groups.models import MemberRole, Membership, MemberState
from forum.moderation import queries, services
from forum.moderation.models import Action, AuditEntry
from forum.moderation.permissions import WarningPending
from forum.notifications.models import Notification
from tests import factories
from tests.api.conftest import bearer, make_token
from tests.conftest import login, post_form
from tests.groups.conftest import make_session
from tests.moderation.conftest import make_membership, make_pending, set_policy, trust


def log_actions() -> list[Action]:
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
    return [entry.action for entry in entries]


@pytest.fixture
def published(discussion, other_reader):
    return factories.make_post(discussion, other_reader, "A post that goes too far.")


# Warnings ---------------------------------------------------------------------------------


def test_a_warned_author_must_acknowledge_before_posting_again(
    moderator, other_reader, discussion, published
):
    trust(other_reader)
    warning = services.warn_author(moderator, published, "Attack the argument, not the person.")
    db.session.commit()
    assert not discussion_permissions.can_reply(other_reader, discussion)
    with pytest.raises(WarningPending) as refused:
        discussions.post_reply(other_reader, discussion, None, "One more thing")
    assert refused.value.warning.id == warning.id

    services.acknowledge_warning(other_reader, warning)
    db.session.commit()
    assert discussions.post_reply(other_reader, discussion, None, "Point taken.").is_published
    assert log_actions() == [Action.WARN, Action.ACKNOWLEDGE]
    acknowledged = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert acknowledged.actor_id == other_reader.id
    assert acknowledged.reason == "Attack the argument, not the person."


def test_posting_while_warned_shows_the_warning_with_its_button_and_keeps_the_text(
    client, moderator, other_reader, article, discussion, published
):
    trust(other_reader)
    warning = services.warn_author(moderator, published, "Keep it civil, please.")
    db.session.commit()
    login(client, other_reader)
    page = client.get(f"/articles/{article.slug}").get_data(as_text=True)
    # Every page points to the warning; the discussion has no reply form.
    assert "A moderator has warned you" in page and "Post comment" not in page
    response = post_form(
        client, f"/discussions/{discussion.id}/posts", {"body": "My unposted words"},
        headers={"Referer": f"http://localhost/articles/{article.slug}"},
    )  # fmt: skip
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Keep it civil, please." in html and "I understand" in html
    assert "My unposted words" in html

    response = post_form(
        client, f"/moderation/warnings/{warning.id}", {"next": f"/articles/{article.slug}"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/articles/{article.slug}"
    db.session.expire_all()
    assert warning.acknowledged_at is not None
    response = post_form(client, f"/discussions/{discussion.id}/posts", {"body": "Better now"})
    assert response.status_code == 302


def test_the_api_refuses_a_warned_author_in_json(client, moderator, other_reader, published):
    trust(other_reader)
    services.warn_author(moderator, published, "Calm down.")
    db.session.commit()
    response = client.post(
        f"/api/v1/discussions/{published.discussion_id}/posts",
        json={"body": "From a script."},
        headers=bearer(make_token(other_reader)),
    )
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"
    assert "warned" in response.json["error"]["message"]


def test_who_may_read_a_warning(client, moderator, reader, other_reader, published):
    warning = services.warn_author(moderator, published, "Private words.")
    db.session.commit()
    login(client, reader)
    assert client.get(f"/moderation/warnings/{warning.id}").status_code == 404
    response = post_form(client, f"/moderation/warnings/{warning.id}", {})
    assert response.status_code == 404
    login(client, moderator)
    page = client.get(f"/moderation/warnings/{warning.id}").get_data(as_text=True)
    assert "Private words." in page and "has not acknowledged it yet" in page
    assert "I understand" not in page


def test_a_warning_needs_words_and_the_form_keeps_them(client, moderator, published):
    login(client, moderator)
    response = post_form(client, f"/moderation/posts/{published.id}/warn", {"message": " "})
    assert response.status_code == 422
    assert "Write the warning" in response.get_data(as_text=True)
    assert log_actions() == []


# Featured posts ---------------------------------------------------------------------------


def test_a_featured_post_is_shown_first_and_marked_until_unpinned(
    client, moderator, reader, other_reader, article, discussion
):
    factories.make_post(discussion, reader, "An early comment.")
    late = factories.make_post(discussion, other_reader, "The best answer, written late.")
    assert services.feature_post(moderator, late)
    assert not services.feature_post(moderator, late)  # already featured: nothing more logged
    db.session.commit()
    html = client.get(f"/articles/{article.slug}").get_data(as_text=True)
    assert "Featured by the moderators" in html
    assert html.index("The best answer, written late.") < html.index("An early comment.")
    assert '<span class="badge">Featured</span>' in html

    login(client, moderator)
    response = post_form(
        client, f"/moderation/posts/{late.id}/feature", {"featured": "0"},
        page=f"/articles/{article.slug}",
    )  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    assert queries.featured_posts(discussion) == []
    assert log_actions() == [Action.FEATURE, Action.UNFEATURE]


def test_only_published_posts_are_featured_and_only_by_their_moderators(
    reader, moderator, group_moderator, discussion
):
    held = make_pending(discussion, reader, "Waiting")
    with pytest.raises(PermissionDenied, match="published"):
        services.feature_post(moderator, held)
    published = factories.make_post(discussion, reader, "Public")
    with pytest.raises(PermissionDenied):
        services.feature_post(group_moderator, published)


# Bans from one group ----------------------------------------------------------------------


def test_a_group_ban_stops_posting_in_the_group_only(
    client, group_moderator, group_member, group, article, discussion, group_discussion
):
    trust(group_member)
    services.ban_from_group(group_moderator, group_member, group, "Trolling the group")
    db.session.commit()
    with pytest.raises(PermissionDenied, match="banned from posting.*Trolling the group"):
        discussions.post_reply(group_member, group_discussion, None, "Still here")
    # Elsewhere they take part as before.
    assert discussions.post_reply(group_member, discussion, None, "Hello all").is_published
    db.session.commit()
    membership = db.session.scalar(select(Membership).where(Membership.user_id == group_member.id))
    assert membership.state is MemberState.BANNED
    assert log_actions() == [Action.GROUP_BAN]

    login(client, group_member)
    html = client.get(f"/articles/{article.slug}?group={group.slug}").get_data(as_text=True)
    assert "Trolling the group" in html


def test_a_group_ban_covers_the_groups_session_threads(group_moderator, group_member, group):
    trust(group_member)
    session = make_session(group)
    thread = db.session.scalar(select(Discussion).where(Discussion.session_id == session.id))
    assert discussions.post_reply(group_member, thread, None, "See you Thursday").is_published
    services.ban_from_group(group_moderator, group_member, group, "Spam in the threads")
    db.session.commit()
    assert not discussion_permissions.can_reply(group_member, thread)
    with pytest.raises(PermissionDenied, match="Spam in the threads"):
        discussions.post_reply(group_member, thread, None, "Again")


def test_who_may_ban_from_a_group(
    group_moderator, other_group_moderator, moderator, reader, group, group_member
):
    organiser = factories.make_user("org@example.org", "Ola Organiser")
    make_membership(group, organiser, MemberRole.ORGANISER)
    with pytest.raises(PermissionDenied):
        services.ban_from_group(other_group_moderator, group_member, group, "No")
    with pytest.raises(PermissionDenied):
        services.ban_from_group(group_moderator, organiser, group, "No")
    with pytest.raises(PermissionDenied):
        services.ban_from_group(group_moderator, moderator, group, "No")
    # Someone who never joined is banned all the same: they cannot join and post.
    services.ban_from_group(moderator, reader, group, "Spam from outside")
    db.session.commit()
    assert log_actions() == [Action.GROUP_BAN]


# Penalties --------------------------------------------------------------------------------


def test_a_suspended_reader_logs_in_reads_and_is_told_why_and_until_when(
    client, moderator, reader, article, discussion, published
):
    until = utc_now() + timedelta(days=3)
    services.suspend_user(moderator, reader, until, "Cooling off")
    db.session.commit()
    login(client, reader)
    html = client.get("/groups/").get_data(as_text=True)
    assert f"suspended until {until:%d %B %Y}" in html and "Cooling off" in html
    page = client.get(f"/articles/{article.slug}").get_data(as_text=True)
    assert "A post that goes too far." in page
    assert "Post comment" not in page and "Flag this post" not in page
    for url, data in (
        (f"/discussions/{discussion.id}/posts", {"body": "Let me in"}),
        (f"/posts/{published.id}/vote", {}),
        (f"/posts/{published.id}/flag", {"reason": "spam"}),
    ):
        response = post_form(client, url, data)
        assert response.status_code == 403, url
        assert "Cooling off" in response.get_data(as_text=True), url


# The read-only switch ---------------------------------------------------------------------


def test_read_only_shows_a_banner_everywhere_and_refuses_every_write(
    client, reader, admin, article, discussion
):
    trust(reader)
    set_policy(read_only=True)
    for url in ("/", f"/articles/{article.slug}", "/groups/"):
        assert "The site is read-only for now" in client.get(url).get_data(as_text=True), url
    login(client, reader)
    for url, data in (
        (f"/discussions/{discussion.id}/posts", {"body": "Hello"}),
        (f"/discussions/{discussion.id}/follow", {"follow": "0"}),
        ("/settings", {"display_name": "Someone Else"}),
    ):
        response = post_form(client, url, data)
        assert response.status_code == 403, url
        assert "posting, voting and flagging are paused" in response.get_data(as_text=True)
    page = client.get(f"/articles/{article.slug}").get_data(as_text=True)
    assert "Post comment" not in page
    # An administrator can still act, and switch it off.
    login(client, admin)
    response = post_form(client, f"/discussions/{discussion.id}/posts", {"body": "Admin note"})
    assert response.status_code == 302


# Moderator edits of published posts -------------------------------------------------------


def test_a_moderators_edit_of_a_published_post_is_logged_with_both_texts(
    moderator, reader, discussion
):
    post = factories.make_post(discussion, reader, "Call me at 555-0100.")
    discussions.edit_post(reader, post, "Call me at 555-0100, evenings.")
    discussions.edit_post(moderator, post, "Call me (number removed by a moderator).")
    db.session.commit()
    [entry] = db.session.scalars(select(AuditEntry)).all()
    assert (entry.action, entry.actor_id, entry.target_user_id) == (
        Action.EDIT, moderator.id, reader.id,
    )  # fmt: skip
    assert entry.before_text == "Call me at 555-0100, evenings."
    assert entry.after_text == "Call me (number removed by a moderator)."


# What authors are told --------------------------------------------------------------------


def notes(user) -> list[tuple[str, str]]:
    return [
        (note.kind, note.detail)
        for note in db.session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    ]


def test_authors_are_told_when_held_rejected_or_hidden(
    moderator, reader, other_reader, discussion, outbox
):
    held = discussions.post_reply(reader, discussion, None, "My first words")
    db.session.commit()
    services.reject_post(moderator, held, "Off topic")
    db.session.commit()
    assert [kind for kind, _ in notes(reader)] == ["post_held", "post_rejected"]
    assert "Off topic" in notes(reader)[1][1]
    assert any("Off topic" in message.body for message in outbox)

    trust(other_reader)
    shown = discussions.post_reply(other_reader, discussion, None, "Published words")
    services.flag_post(moderator, shown, "abuse")
    db.session.commit()
    assert shown.state is PostState.PENDING
    assert [kind for kind, _ in notes(other_reader)] == ["post_held"]


# The queue's counts -----------------------------------------------------------------------


def test_the_queues_counts_read_through_indexes_not_every_post(app, moderator, reader, discussion):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the plan is read from SQLite's EXPLAIN QUERY PLAN")
    make_pending(discussion, reader, "Waiting")
    statement = []

    def keep(conn, cursor, sql, params, context, executemany):
        statement.append((sql, params))

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        counts = queries.queue_counts(moderator, utc_now())
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    assert counts["pending"] == 1
    sql, params = statement[-1]
    rows = db.session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params)
    plan = " | ".join(row[-1] for row in rows)
    assert "SCAN posts" not in plan, plan
    assert "ix_posts_state_moderated" in plan and "ix_flags_open" in plan, plan
