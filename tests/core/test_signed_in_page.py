"""What every signed-in page pays around its view: the person's row, the moderation state
behind the navigation and the banners, and the unread notifications badge, all read in one
statement, and read afresh once the request has written anything."""

from __future__ import annotations

import re

from forum.accounts.queries import get_user_for_session
from forum.extensions import db
from forum.groups.models import Group, MemberRole, Membership
from forum.moderation.models import AuthorWarning, Policy
from forum.moderation.permissions import can_moderate, pending_warning, viewer_state
from forum.notifications.models import Kind, Notification
from forum.notifications.queries import unread_count
from forum.notifications.services import mark_read
from tests import factories
from tests.conftest import count_queries, login

# /settings reads nothing of its own: everything it runs is what every signed-in page runs.
PAGE = "/settings"


def notify(user, count: int) -> None:
    for _ in range(count):
        db.session.add(Notification(user_id=user.id, kind=Kind.REPLY))
    db.session.commit()


def moderate_a_group(user) -> Group:
    group = Group(slug="reading-circle", name="Reading circle")
    db.session.add(group)
    db.session.flush()
    db.session.add(Membership(group_id=group.id, user_id=user.id, role=MemberRole.MODERATOR))
    db.session.commit()
    return group


def test_a_signed_in_page_costs_one_statement_outside_its_view(client, reader):
    login(client, reader)
    with count_queries() as plain:
        html = client.get(PAGE).get_data(as_text=True)
    assert "Rita Reader" in html and 'class="badge"' not in html
    assert len(plain) == 1, plain

    # The badge, the Moderation link and the read-only banner on: the same one statement.
    notify(reader, 3)
    moderate_a_group(reader)
    db.session.add(Policy(read_only=True))
    db.session.commit()
    with count_queries() as full:
        html = client.get(PAGE).get_data(as_text=True)
    assert re.search(r'Notifications <span class="badge">3<span', html)
    assert ">Moderation</a>" in html
    assert "The site is read-only for now" in html
    assert len(full) == 1, full

    # A warning waiting: its banner links to it, so its row is read too.
    db.session.add(AuthorWarning(user_id=reader.id, message="Mind the tone."))
    db.session.commit()
    with count_queries() as warned:
        html = client.get(PAGE).get_data(as_text=True)
    assert "A moderator has warned you." in html
    assert len(warned) == 2, warned


def test_the_answers_read_with_the_person_are_read_afresh_after_a_write(app, reader, moderator):
    notify(reader, 2)
    with app.app_context(), app.test_request_context("/"):
        user = get_user_for_session(reader.get_id())
        with count_queries() as queries:
            assert unread_count(user) == 2
        assert queries == []

        # Read with the person, then written: the badge and the navigation see the writes.
        mark_read(user, None)
        moderate_a_group(user)
        assert unread_count(user) == 0
        assert can_moderate(user)

    with app.app_context(), app.test_request_context("/"):
        # Changes not flushed yet count as writes too: a query would flush them first.
        user = get_user_for_session(reader.get_id())
        db.session.add(AuthorWarning(user_id=reader.id, message="Mind the tone."))
        assert pending_warning(user) is not None

        db.session.rollback()
        # Someone else's state is theirs, not the signed-in person's.
        assert viewer_state(moderator).moderated_group_ids == frozenset()
        assert unread_count(moderator) == 0


def test_a_session_of_an_older_password_or_an_unknown_id_names_nobody(app, reader):
    with app.test_request_context("/"):
        assert get_user_for_session(reader.get_id()) == reader
        assert get_user_for_session(f"{reader.id}:{reader.session_version + 1}") is None
        assert get_user_for_session("nobody:1") is None
        assert get_user_for_session(f"{reader.id + 1000}:1") is None


def test_a_banned_member_is_signed_out_on_the_next_request(client, reader, admin):
    from forum.accounts.services import ban_user

    login(client, reader)
    assert "Log out" in client.get(PAGE).get_data(as_text=True)
    ban_user(admin, reader)
    db.session.commit()
    response = client.get(PAGE)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert "Log out" not in client.get("/").get_data(as_text=True)


def test_the_home_page_signed_in_adds_only_its_own_reads(client, reader):
    factories.make_article()
    login(client, reader)
    with count_queries() as queries:
        assert client.get("/").status_code == 200
    # The person (with their badge and moderation state), and the latest articles.
    assert len(queries) == 2, queries
