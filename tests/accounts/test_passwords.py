"""Forgotten passwords and changing the password: links that work once, sessions that end."""

from __future__ import annotations

import time

import itsdangerous
from werkzeug.security import check_password_hash

from forum.extensions import db
from tests.accounts.conftest import link_in
from tests.accounts.test_login import signed_in_as
from tests.conftest import PASSWORD, login, post_form

NEW_PASSWORD = "a brand new passphrase"


def test_the_reset_form_does_not_tell_who_has_an_account(client, reader, outbox):
    known = post_form(client, "/auth/reset", {"email": "reader@example.org"})
    unknown = post_form(client, "/auth/reset", {"email": "stranger@example.org"})
    assert known.status_code == unknown.status_code == 200
    page = known.get_data(as_text=True)
    assert "If an account uses reader@example.org, we have sent a link" in page
    assert page.replace("reader@", "stranger@") == unknown.get_data(as_text=True)
    [message] = outbox
    assert message.to == ["reader@example.org"]
    assert message.subject == "Reset your Forum password"
    assert "works once, for 1 hour" in message.body


def test_a_reset_link_works_once(client, app, reader, outbox):
    post_form(client, "/auth/reset", {"email": "Reader@Example.org"})
    path = link_in(outbox[0])
    page = client.get(path).get_data(as_text=True)
    assert "Choose a new password" in page
    assert '<label for="password">New password</label>' in page

    response = post_form(client, path, {"password": "too short"})
    assert response.status_code == 422
    assert "Use at least 10 characters" in response.get_data(as_text=True)

    response = post_form(client, path, {"password": NEW_PASSWORD})
    assert response.headers["Location"] == "/auth/login"
    db.session.expire_all()
    assert check_password_hash(reader.password_hash, NEW_PASSWORD)
    login(client, reader, NEW_PASSWORD)

    again = app.test_client()
    response = again.get(path)
    assert response.status_code == 410
    page = response.get_data(as_text=True)
    assert "This link has already been used" in page
    assert "Send me a new password reset link" in page
    response = post_form(again, path, {"password": "yet another passphrase"})
    assert response.status_code == 410
    db.session.expire_all()
    assert check_password_hash(reader.password_hash, NEW_PASSWORD)


def test_an_expired_reset_link_is_refused(client, reader, outbox, monkeypatch):
    two_hours_ago = int(time.time()) - 7200
    with monkeypatch.context() as patched:
        patched.setattr(itsdangerous.TimestampSigner, "get_timestamp", lambda signer: two_hours_ago)
        post_form(client, "/auth/reset", {"email": reader.email})
    response = client.get(link_in(outbox[0]))
    assert response.status_code == 410
    page = response.get_data(as_text=True)
    assert "This link has expired" in page
    assert "This password reset link has expired." in page


def test_a_tampered_reset_link_is_refused(client, reader, outbox):
    post_form(client, "/auth/reset", {"email": reader.email})
    path = link_in(outbox[0])
    response = client.get(path[:-3] + ("abc" if not path.endswith("abc") else "xyz"))
    assert response.status_code == 400
    assert "This link does not work" in response.get_data(as_text=True)


def test_a_reset_ends_every_session(app, client, reader, outbox):
    elsewhere = app.test_client()
    login(elsewhere, reader, remember=True)
    post_form(client, "/auth/reset", {"email": reader.email})
    post_form(client, link_in(outbox[0]), {"password": NEW_PASSWORD})
    assert signed_in_as(elsewhere) is None


def test_changing_the_password_ends_the_other_sessions(app, client, reader):
    login(client, reader, remember=True)
    other = app.test_client()
    login(other, reader, remember=True)
    remembered = other.get_cookie("remember_token").value

    response = post_form(
        client,
        "/settings/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        page="/settings/password",
    )
    assert response.headers["Location"] == "/settings"
    assert "Every other session of your account has ended" in client.get("/settings").get_data(
        as_text=True
    )

    # This browser carries on, and is still remembered.
    assert signed_in_as(client) == "Rita Reader"
    cookie_only = app.test_client()
    cookie_only.set_cookie("remember_token", client.get_cookie("remember_token").value)
    assert signed_in_as(cookie_only) == "Rita Reader"

    # The other browser's session and its remember-me cookie no longer work.
    assert signed_in_as(other) is None
    stale = app.test_client()
    stale.set_cookie("remember_token", remembered)
    assert signed_in_as(stale) is None

    # The old password is gone, the new one works.
    response = post_form(stale, "/auth/login", {"email": reader.email, "password": PASSWORD})
    assert response.status_code == 422
    login(stale, reader, NEW_PASSWORD)


def test_changing_the_password_needs_the_current_one(client, reader):
    login(client, reader)
    response = post_form(
        client,
        "/settings/password",
        {"current_password": "not the password", "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="current_password-error"' in page
    assert "That is not your current password." in page

    response = post_form(
        client, "/settings/password", {"current_password": PASSWORD, "new_password": "short"}
    )
    assert response.status_code == 422
    assert 'id="new_password-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert check_password_hash(reader.password_hash, PASSWORD)
    assert reader.session_version == 1


def test_reset_requests_are_rate_limited(client, reader, outbox):
    for _ in range(10):
        assert post_form(client, "/auth/reset", {"email": reader.email}).status_code == 200
    assert post_form(client, "/auth/reset", {"email": reader.email}).status_code == 429
    assert len(outbox) == 10
