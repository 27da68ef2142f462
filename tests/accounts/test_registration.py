"""Registering, confirming the address by the emailed link, and what the unconfirmed may do."""

from __future__ import annotations

from sqlalchemy import func, select

from forum.accounts import services
from forum.accounts.models import User
from forum.accounts.permissions import is_active_member
from forum.discussions.models import Post
from forum.extensions import db
from tests import factories
from tests.accounts.conftest import link_in
from tests.conftest import PASSWORD, login, post_form

NEW = {"email": "Nora@Example.ORG", "display_name": "Nora Newcomer", "password": PASSWORD}


def user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_register_then_confirm_by_the_emailed_link(client, outbox):
    response = post_form(client, "/auth/register", NEW)
    assert response.status_code == 302
    user = db.session.scalar(select(User))
    assert (user.email, user.username, user.display_name) == (
        "Nora@example.org",
        "nora-newcomer",
        "Nora Newcomer",
    )
    assert user.password_hash.startswith("pbkdf2:sha256:1$"), "hashed, with the configured method"
    assert not user.is_verified

    # Signed in, told what to do next, and offered a new link.
    page = client.get("/settings").get_data(as_text=True)
    assert "Please confirm your email address Nora@example.org" in page
    assert "Resend confirmation email" in page

    [message] = outbox
    assert message.to == ["Nora@example.org"]
    assert message.subject == "Confirm your email address for Forum"
    path = link_in(message)
    assert path.startswith("/auth/verify/")

    response = client.get(path)
    assert response.status_code == 302
    db.session.expire_all()
    assert user.is_verified
    page = client.get("/").get_data(as_text=True)
    assert "Nora@example.org is confirmed" in page
    assert "Please confirm your email address" not in client.get("/settings").get_data(as_text=True)

    # Following the link again is harmless.
    assert client.get(path).status_code == 302


def test_an_unverified_member_reads_but_cannot_post(client, unverified):
    discussion = factories.public_discussion(factories.make_article())
    login(client, unverified)
    assert not is_active_member(unverified)
    response = post_form(client, f"/discussions/{discussion.id}/posts", {"body": "Hello"})
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Post)) == 0
    assert client.get(f"/articles/{discussion.article.slug}").status_code == 200


def test_a_verified_member_may_take_part(reader, banned_reader):
    assert is_active_member(reader)
    assert not is_active_member(banned_reader)
    assert not is_active_member(None)


def test_a_taken_email_is_refused_beside_the_field_with_the_text_kept(client, reader, outbox):
    response = post_form(
        client,
        "/auth/register",
        {"email": "READER@example.org", "display_name": "Second Rita", "password": PASSWORD},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="email-error"' in page
    assert "An account already uses this email address" in page
    assert 'value="READER@example.org"' in page
    assert 'value="Second Rita"' in page
    assert user_count() == 1
    assert outbox == []


def test_short_passwords_and_bad_addresses_are_explained(client):
    response = post_form(client, "/auth/register", {**NEW, "password": "short"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="password-error"' in page
    assert "Use at least 10 characters" in page
    assert 'value="Nora Newcomer"' in page

    response = post_form(client, "/auth/register", {**NEW, "email": "nora.example.org"})
    assert response.status_code == 422
    assert "is not an email address" in response.get_data(as_text=True)

    response = post_form(client, "/auth/register", {**NEW, "display_name": "   "})
    assert response.status_code == 422
    assert 'id="display_name-error"' in response.get_data(as_text=True)
    assert user_count() == 0


def test_usernames_stay_unique(client):
    factories.make_user("first@example.org", "Nora Newcomer")
    post_form(client, "/auth/register", NEW)
    post_form(client, "/auth/register", {**NEW, "email": "third@example.org"})
    names = db.session.scalars(select(User.username).order_by(User.id)).all()
    assert names == ["nora-newcomer", "nora-newcomer-2", "nora-newcomer-3"]


def test_resending_the_link(client, unverified, outbox):
    login(client, unverified)
    response = post_form(client, "/auth/verify/resend", {"next": "/users/nina-new"})
    assert response.headers["Location"] == "/users/nina-new"
    [message] = outbox
    assert message.to == ["new@example.org"]
    client.get(link_in(message))
    db.session.expire_all()
    assert unverified.is_verified

    response = post_form(client, "/auth/verify/resend", {"next": "https://evil.example/"})
    assert response.headers["Location"] == "/settings"
    assert len(outbox) == 1, "nothing to resend once confirmed"


def test_resending_is_rate_limited(client, unverified, outbox):
    login(client, unverified)
    for _ in range(10):
        assert post_form(client, "/auth/verify/resend", {}).status_code == 302
    assert post_form(client, "/auth/verify/resend", {}).status_code == 429
    assert len(outbox) == 10


def test_broken_and_outdated_verification_links_say_what_happened(client, unverified):
    response = client.get("/auth/verify/not-a-token")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This link does not work" in page
    assert "Log in</a> and we will offer to send you a new confirmation link" in page

    token = services.verification_token(unverified)
    unverified.email = "changed@example.org"
    db.session.commit()
    login(client, unverified)
    response = client.get(f"/auth/verify/{token}")
    assert response.status_code == 410
    page = response.get_data(as_text=True)
    assert "no longer uses" in page
    assert "Send me a new confirmation link" in page
    db.session.expire_all()
    assert not unverified.is_verified


def test_registration_is_rate_limited(client):
    for number in range(10):
        post_form(client, "/auth/register", {**NEW, "email": f"n{number}@example.org"})
    response = post_form(client, "/auth/register", {**NEW, "email": "late@example.org"})
    assert response.status_code == 429
    assert user_count() == 10
