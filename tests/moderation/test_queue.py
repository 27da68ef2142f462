"""The queue and its actions, as a moderator meets them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from forum.accounts.models import UserStatus
from forum.core.db import utc_now
from forum.core.errors import PermissionDenied, ValidationFailed
from forum.discussions import services as discussions
from forum.discussions.models import Post, PostRevision, PostState
from forum.extensions import db
from forum.groups.models import MemberRole
from forum.moderation import queries, services
from forum.moderation.models import Action, AuditEntry
from forum.notifications.models import Notification
from tests import factories
from tests.conftest import count_queries, login, post_form
from tests.moderation.conftest import (
    make_group,
    make_group_discussion,
    make_membership,
    make_pending,
)


@pytest.fixture
def held(discussion, reader):
    return make_pending(discussion, reader, "I am new here, and I think so.")


def queue_page(client, query: str = "") -> str:
    response = client.get(f"/moderation/{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_queue_shows_each_item_with_its_context(client, moderator, discussion, other_reader):
    parent = factories.make_post(discussion, other_reader, "The parent post.")
    newcomer = factories.make_user("newcomer@example.org", "Nell Newcomer")
    make_pending(
        discussion, newcomer, "A held reply.", parent=parent, hold_reasons="new user\nlink"
    )
    login(client, moderator)
    html = queue_page(client)
    assert "A held reply." in html
    assert "In reply to Otto Other" in html and "The parent post." in html
    assert "Signals Across the Yalu" in html
    assert ">new user<" in html and ">link<" in html
    assert "About Nell Newcomer" in html
    assert 'Pending <span class="badge">1</span>' in html


def test_tabs_count_and_sort(client, moderator, discussion, reader, other_reader):
    first = make_pending(discussion, reader, "First held")
    make_pending(discussion, other_reader, "Second held")
    flagged = factories.make_post(discussion, other_reader, "Flag me")
    services.flag_post(reader, flagged, "spam")
    db.session.commit()
    queue = queries.moderation_queue(moderator)
    assert queue.counts == {"pending": 2, "flagged": 1, "rejected": 0, "approved": 0}
    assert [item.post.body_md for item in queue.items] == ["First held", "Second held"]
    newest = queries.moderation_queue(moderator, sort="newest")
    assert newest.items[0].post.body_md == "Second held"
    services.approve_post(moderator, first)
    db.session.commit()
    assert queries.moderation_queue(moderator, tab="approved").items[0].post.id == first.id
    flagged_tab = queries.moderation_queue(moderator, tab="flagged")
    assert flagged_tab.items[0].open_flags[0].user_id == reader.id


def test_approving_publishes_the_post_for_everyone(client, moderator, held, article):
    login(client, moderator)
    response = post_form(client, f"/moderation/posts/{held.id}/approve", {}, page="/moderation/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/moderation/"
    db.session.expire_all()
    assert held.state is PostState.PUBLISHED
    client.post("/auth/logout", data={})
    anonymous = client.application.test_client()
    assert "I am new here" in anonymous.get(f"/articles/{article.slug}").get_data(as_text=True)


def test_pending_posts_are_shown_to_their_author_and_moderators_only(
    app, client, held, article, reader, other_reader, moderator
):
    url = f"/articles/{article.slug}"
    assert "I am new here" not in client.get(url).get_data(as_text=True)
    login(client, other_reader)
    assert "I am new here" not in client.get(url).get_data(as_text=True)
    login(client, reader)
    html = client.get(url).get_data(as_text=True)
    assert "I am new here" in html and "Awaiting review" in html
    login(client, moderator)
    html = client.get(url).get_data(as_text=True)
    assert "I am new here" in html and "held: new user" in html


def test_rejecting_tells_the_author_by_email_and_on_their_profile(
    client, moderator, held, reader, outbox
):
    login(client, moderator)
    response = post_form(
        client,
        f"/moderation/posts/{held.id}/reject",
        {"reason": "Please keep to the article's topic."},
        page="/moderation/",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert held.state is PostState.REJECTED
    [message] = outbox
    assert message.to == [reader.email]
    assert "Please keep to the article's topic." in message.body
    login(client, reader)
    profile = client.get(f"/users/{reader.username}").get_data(as_text=True)
    assert "not published: Please keep to the article" in profile


def test_a_rejection_needs_a_reason_and_keeps_the_form(client, moderator, held):
    login(client, moderator)
    response = post_form(client, f"/moderation/posts/{held.id}/reject", {"reason": " "})
    assert response.status_code == 422
    assert "Give a reason" in response.get_data(as_text=True)
    db.session.expire_all()
    assert held.state is PostState.PENDING


def test_edit_and_approve_keeps_the_authors_text(client, moderator, held):
    login(client, moderator)
    form = client.get(f"/moderation/posts/{held.id}/edit").get_data(as_text=True)
    assert "I am new here, and I think so.</textarea>" in form
    response = post_form(
        client,
        f"/moderation/posts/{held.id}/edit",
        {"body": "I think so.", "reason": "Trimmed"},
        page=f"/moderation/posts/{held.id}/edit",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert held.state is PostState.PUBLISHED and held.body_md == "I think so."
    revision = db.session.scalar(select(PostRevision))
    assert revision.body_md == "I am new here, and I think so."
    entry = db.session.scalar(select(AuditEntry))
    assert entry.action is Action.EDIT_APPROVE
    assert (entry.before_text, entry.after_text) == (
        "I am new here, and I think so.",
        "I think so.",
    )


def test_the_first_moderator_wins_and_the_second_is_told(client, moderator, second_moderator, held):
    services.approve_post(moderator, held)
    db.session.commit()
    with pytest.raises(services.AlreadyModerated, match="Mo Moderator already dealt"):
        services.reject_post(second_moderator, held, "Too late")
    db.session.rollback()
    login(client, second_moderator)
    response = post_form(
        client, f"/moderation/posts/{held.id}/approve", {}, page="/moderation/",
        follow_redirects=True,
    )  # fmt: skip
    assert "Mo Moderator already dealt with this post (approved)" in response.get_data(as_text=True)
    assert (
        db.session.scalar(select(AuditEntry.id).where(AuditEntry.actor_id == second_moderator.id))
        is None
    )


def test_a_stale_state_loses_in_the_database_too(moderator, second_moderator, held):
    """Both moderators loaded the post as pending; the UPDATE checks the state again."""
    assert held.state is PostState.PENDING
    # Another moderator's transaction publishes it behind this session's back.
    db.session.execute(
        update(Post).where(Post.id == held.id).values(state=PostState.PUBLISHED),
        execution_options={"synchronize_session": False},
    )
    assert held.state is PostState.PENDING
    with pytest.raises(services.AlreadyModerated):
        services.approve_post(second_moderator, held)


def test_bulk_approve_and_reject(client, moderator, discussion, reader, other_reader, outbox):
    posts = [make_pending(discussion, reader, f"Held {n}") for n in range(3)]
    login(client, moderator)
    response = post_form(
        client,
        "/moderation/bulk",
        {"post_id": [str(posts[0].id), str(posts[1].id)], "action": "reject", "reason": "Spam"},
        page="/moderation/",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert [post.state for post in posts] == [
        PostState.REJECTED, PostState.REJECTED, PostState.PENDING
    ]  # fmt: skip
    assert len(outbox) == 2
    post_form(client, "/moderation/bulk", {"post_id": str(posts[2].id), "action": "approve"})
    db.session.expire_all()
    assert posts[2].state is PostState.PUBLISHED


def test_bulk_reject_without_a_reason_changes_nothing(client, moderator, held):
    login(client, moderator)
    response = post_form(
        client, "/moderation/bulk", {"post_id": str(held.id), "action": "reject"},
        follow_redirects=True,
    )  # fmt: skip
    assert "Give a reason to reject" in response.get_data(as_text=True)
    db.session.expire_all()
    assert held.state is PostState.PENDING


def test_delete_and_lock_from_the_queue(client, moderator, held, discussion):
    login(client, moderator)
    post_form(client, f"/moderation/posts/{held.id}/delete", {"reason": "Duplicate"})
    post_form(client, f"/moderation/discussions/{discussion.id}/lock", {"reason": "Heated"})
    db.session.expire_all()
    assert held.state is PostState.DELETED
    assert discussion.is_locked
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == [Action.DELETE, Action.LOCK]


def test_suspend_until_a_date_and_ban(client, moderator, reader, other_reader):
    login(client, moderator)
    until = (utc_now() + timedelta(days=3)).date()
    response = post_form(
        client,
        f"/moderation/users/{reader.id}/suspend",
        {"until": until.isoformat(), "reason": "Cooling off"},
    )
    assert response.status_code == 302
    response = post_form(client, f"/moderation/users/{other_reader.id}/ban", {"reason": "Spam"})
    assert response.status_code == 302
    db.session.expire_all()
    assert reader.status is UserStatus.BANNED and reader.banned_until.date() == until
    assert other_reader.is_banned() and other_reader.banned_until is None


def test_a_suspension_in_the_past_is_refused_beside_the_field(client, moderator, reader):
    login(client, moderator)
    response = post_form(
        client,
        f"/moderation/users/{reader.id}/suspend",
        {"until": "2020-01-01", "reason": "Late"},
    )
    assert response.status_code == 422
    assert "Choose a date in the future." in response.get_data(as_text=True)


def test_moderators_cannot_penalise_each_other_but_admins_can(moderator, second_moderator, admin):
    with pytest.raises(PermissionDenied):
        services.ban_user(moderator, second_moderator, "No")
    services.ban_user(admin, second_moderator, "Abuse of powers")


def test_a_group_moderator_sees_only_their_groups_queue(
    group_moderator, discussion, group_discussion, other_group_discussion, reader
):
    mine = make_pending(group_discussion, reader, "In my group")
    make_pending(other_group_discussion, reader, "In another group")
    make_pending(discussion, reader, "In public")
    queue = queries.moderation_queue(group_moderator)
    assert [item.post.id for item in queue.items] == [mine.id]
    assert queue.counts["pending"] == 1


def test_reasons_are_required_and_bounded(moderator, held):
    with pytest.raises(ValidationFailed):
        services.reject_post(moderator, held, "x" * (services.MAX_REASON_LENGTH + 1))


def test_the_first_page_costs_the_same_queries_however_many_items(
    client, moderator, discussion, reader
):
    parent = factories.make_post(discussion, reader, "Parent")
    make_pending(discussion, reader, "Only one", parent=parent)
    login(client, moderator)
    db.session.expunge_all()
    with count_queries() as few:
        queue_page(client)

    discussion = db.session.merge(discussion)
    parent = db.session.merge(parent)
    flagger = factories.make_user("flagger@example.org", "Fay Flagger")
    for n in range(queries.ITEMS_PER_PAGE + 1):
        author = factories.make_user(f"author{n}@example.org", f"Author {n}")
        make_pending(discussion, author, f"Held {n}", parent=parent if n % 2 else None)
        if n % 5 == 0:
            # Some authors with flags on their published posts and rejections in their history.
            published = factories.make_post(discussion, author, f"Flagged {n}")
            services.flag_post(flagger, published, "spam")
            services.reject_post(
                db.session.merge(moderator), make_pending(discussion, author, f"Bad {n}"), "No"
            )
    db.session.commit()
    db.session.expunge_all()
    with count_queries() as many:
        html = queue_page(client)
    assert html.count('class="queue-item"') == queries.ITEMS_PER_PAGE
    assert len(many) == len(few)


@pytest.mark.parametrize("viewer", ["site moderator", "group moderator"])
def test_the_queue_of_group_posts_costs_the_same_queries_with_2_and_20_items(
    client, moderator, article, viewer
):
    """Whether each author may be banned from their post's group is read for the whole page
    at once, not once per post."""
    groups = [make_group(f"Reading circle {n}") for n in range(3)]
    discussions = [make_group_discussion(article, group) for group in groups]
    group_moderator = factories.make_user("circlemod@example.org", "Cy Circlemod")
    for group in groups:
        make_membership(group, group_moderator, MemberRole.MODERATOR)
    login(client, moderator if viewer == "site moderator" else group_moderator)

    def add(start: int, count: int) -> None:
        for n in range(start, start + count):
            author = factories.make_user(f"circle{n}@example.org", f"Circle Author {n}")
            group = groups[n % 3]
            if n % 4 == 1:
                # A moderator of the group is not banned from it by their colleagues.
                make_membership(group, author, MemberRole.MODERATOR)
            elif n % 4 == 2:
                make_membership(group, author)
            make_pending(discussions[n % 3], author, f"Held in a circle {n}")

    def page() -> tuple[int, str]:
        with count_queries() as statements:
            html = queue_page(client)
        return len(statements), html

    add(0, 2)
    few, html = page()
    assert html.count('class="queue-item"') == 2
    assert "Ban Circle Author 0 from Reading circle 0" in html
    assert "Ban Circle Author 1 from" not in html
    add(2, 18)
    many, html = page()
    assert html.count('class="queue-item"') == 20
    assert len(re.findall(r"Ban Circle Author \d+ from Reading circle", html)) == 15
    assert "Ban Circle Author 17 from Reading circle 2" not in html
    assert "Ban Circle Author 18 from Reading circle 0" in html
    assert many == few
    assert few <= 12


def test_a_held_reply_tells_the_parents_author_only_once_approved(
    moderator, discussion, reader, other_reader
):
    parent = factories.make_post(discussion, other_reader, "A question?")
    reply = discussions.post_reply(reader, discussion, parent, "An answer, held.")
    db.session.commit()
    assert reply.is_pending

    def told(user) -> list[tuple[str, int]]:
        return [
            (note.kind, note.post_id)
            for note in db.session.scalars(
                select(Notification)
                .where(Notification.user_id == user.id)
                .order_by(Notification.id)
            )
        ]

    # Only the author hears of the held post (that it waits for review).
    assert told(other_reader) == []
    assert told(reader) == [("post_held", reply.id)]
    services.approve_post(moderator, reply)
    db.session.commit()
    assert told(other_reader) == [("reply", reply.id)]
    assert told(reader) == [("post_held", reply.id), ("post_approved", reply.id)]


def test_reject_all_of_a_users_waiting_posts(client, moderator, discussion, reader, other_reader):
    mine = [make_pending(discussion, reader, f"Spam {n}") for n in range(3)]
    other = make_pending(discussion, other_reader, "Innocent")
    login(client, moderator)
    assert "Reject all 3 waiting posts" in queue_page(client)
    response = post_form(
        client, f"/moderation/users/{reader.id}/reject-pending", {"reason": "Advertising"},
        follow_redirects=True,
    )  # fmt: skip
    assert "Rejected 3 waiting posts by Rita Reader" in response.get_data(as_text=True)
    db.session.expire_all()
    assert {post.state for post in mine} == {PostState.REJECTED}
    assert other.state is PostState.PENDING


def test_the_queue_filters_by_article_and_group(
    client, moderator, discussion, group_discussion, reader, group
):
    make_pending(discussion, reader, "Public one")
    make_pending(group_discussion, reader, "Group one")
    login(client, moderator)
    html = queue_page(client, f"?group={group.id}")
    assert "Group one" in html and "Public one" not in html
    assert "This group’s moderation policy" in html
    other = factories.public_discussion(factories.make_article("Other Article"))
    make_pending(other, reader, "Elsewhere")
    html = queue_page(client, f"?article={other.article_id}")
    assert "Elsewhere" in html and "Public one" not in html and "Group one" not in html


def test_closing_and_deleting_from_the_thread_are_logged_too(
    client, moderator, reader, article, discussion
):
    own = factories.make_post(discussion, moderator, "My own words")
    theirs = factories.make_post(discussion, reader, "Their words")
    login(client, moderator)
    page = f"/articles/{article.slug}"
    post_form(client, f"/discussions/{discussion.id}/lock", {"locked": "1"}, page=page)
    post_form(client, f"/posts/{theirs.id}/delete", {}, page=page)
    post_form(client, f"/posts/{own.id}/delete", {}, page=page)
    db.session.expire_all()
    assert discussion.is_locked
    assert {theirs.state, own.state} == {PostState.DELETED}
    logged = db.session.execute(select(AuditEntry.action, AuditEntry.post_id)).all()
    # Withdrawing one's own post is not moderation.
    assert sorted(logged, key=str) == sorted(
        [(Action.LOCK, None), (Action.DELETE, theirs.id)], key=str
    )
