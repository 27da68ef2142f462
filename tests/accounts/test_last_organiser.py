"""A group always keeps an organiser: the account of a group's only organiser is not deleted
(by its owner or by an administrator) until someone else organises the group; the refusal
names the groups, on the privacy page before anything is typed, and deletes nothing."""

from __future__ import annotations

import pytest

from forum.accounts import privacy
from forum.accounts.models import User
from forum.admin import services as admin_services
from forum.core.errors import ValidationFailed
from forum.extensions import db
from forum.groups.models import MemberRole, Membership, MemberState
from forum.groups.services import ensure_group
from tests.conftest import PASSWORD, login, post_form

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9"}


@pytest.fixture
def groups(reader):
    """Rita alone organises the book club; the debate club has another organiser too."""
    book_club = ensure_group("Book Club")
    debate = ensure_group("Debate Club")
    other = User(
        email="org@example.org", username="orla", display_name="Orla Organiser",
        password_hash="x",
    )  # fmt: skip
    db.session.add(other)
    db.session.flush()
    for group, user in ((book_club, reader), (debate, reader), (debate, other)):
        db.session.add(Membership(group_id=group.id, user_id=user.id, role=MemberRole.ORGANISER))
    db.session.commit()
    return book_club, debate


def _delete(client, password: str = PASSWORD, headers: dict | None = None):
    return post_form(
        client,
        "/settings/privacy/delete",
        {"posts": "keep", "password": password},
        page="/settings/privacy",
        headers=headers or {},
    )


def _is_deleted(user: User) -> bool:
    db.session.expire_all()
    return db.session.get(User, user.id).is_deleted


def test_the_only_organiser_is_told_before_and_refused(client, reader, groups):
    login(client, reader)
    page = client.get("/settings/privacy").get_data(as_text=True)
    assert "You are the only organiser of the groups below." in page
    assert ">Book Club</a>" in page and ">Debate Club</a>" not in page

    response = _delete(client)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "You are the only organiser of Book Club." in text
    assert not _is_deleted(reader)
    # Still signed in, nothing lost.
    assert client.get("/settings").status_code == 200


def test_the_refusal_reads_in_french(client, reader, groups):
    login(client, reader)
    text = _delete(client, headers=FRENCH).get_data(as_text=True)
    assert "Vous êtes le seul organisateur de Book Club." in text


def test_once_another_organiser_is_appointed_the_account_can_go(client, reader, admin, groups):
    book_club, _ = groups
    admin_services.appoint_organiser(admin, book_club, admin)
    db.session.commit()
    login(client, reader)
    assert "only organiser" not in client.get("/settings/privacy").get_data(as_text=True)

    response = _delete(client)
    assert response.status_code == 302
    assert _is_deleted(reader)


def test_an_administrator_is_refused_too_and_told_where_to_appoint(client, admin, reader, groups):
    login(client, admin)
    response = post_form(
        client, f"/admin/users/{reader.id}/delete", {"posts": "keep", "confirm": "y"},
        page="/admin/",
    )  # fmt: skip
    assert response.status_code == 422
    assert "Rita Reader is the only organiser of Book Club." in response.get_data(as_text=True)
    assert not _is_deleted(reader)


def test_an_archived_group_needs_no_organiser(reader, admin, groups):
    book_club, _ = groups
    admin_services.archive_group(admin, book_club)
    db.session.commit()
    privacy.delete_account(reader, reader, keep_posts=True)
    db.session.commit()
    assert _is_deleted(reader)


@pytest.mark.parametrize("state", [MemberState.PENDING, MemberState.BANNED])
def test_an_organiser_who_is_not_active_does_not_count(reader, groups, state):
    book_club, _ = groups
    waiting = User(email="w@example.org", username="w", display_name="W", password_hash="x")
    db.session.add(waiting)
    db.session.flush()
    db.session.add(
        Membership(
            group_id=book_club.id, user_id=waiting.id, role=MemberRole.ORGANISER, state=state
        )
    )
    db.session.commit()
    with pytest.raises(ValidationFailed, match="Book Club"):
        privacy.delete_account(reader, reader, keep_posts=True)
