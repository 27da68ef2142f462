"""Logging in and out: wrong passwords, remember-me, rate limits, bans and where we go next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from forum.accounts import services
from forum.extensions import db
from tests.conftest import PASSWORD, login, post_form


def signed_in_as(client) -> str | None:
    """The display name in the header, as a person sees whether they are logged in."""
    page = client.get("/articles/").get_data(as_text=True)
    if "Log out</button>" not in page:
        return None
    start = page.index('aria-label="Your account"')
    return page[start : page.index("</a>", start)].rsplit(">", 1)[1]


def test_log_in_and_out(client, reader):
    assert signed_in_as(client) is None
    response = login(client, reader)
    assert response.headers["Location"] == "/"
    assert "You are logged in as Rita Reader" in client.get("/").get_data(as_text=True)
    assert signed_in_as(client) == "Rita Reader"

    response = post_form(client, "/auth/logout", {}, page="/")
    assert response.status_code == 302
    assert signed_in_as(client) is None


def test_logout_needs_a_post_from_this_site(client, reader):
    login(client, reader)
    assert client.get("/auth/logout").status_code == 405
    assert client.post("/auth/logout").status_code == 400, "no CSRF token"
    assert signed_in_as(client) == "Rita Reader"


def test_a_wrong_password_is_explained_and_the_email_kept(client, reader):
    response = post_form(
        client, "/auth/login", {"email": "reader@example.org", "password": "wrong password!"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="password-error"' in page
    assert "That email address and password do not match an account." in page
    assert 'value="reader@example.org"' in page
    assert signed_in_as(client) is None

    # An unknown address gets the very same answer.
    response = post_form(
        client, "/auth/login", {"email": "nobody@example.org", "password": PASSWORD}
    )
    assert "That email address and password do not match an account." in response.get_data(
        as_text=True
    )


def test_empty_fields_are_explained(client):
    response = post_form(client, "/auth/login", {"email": "", "password": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Enter an email address." in page
    assert "Enter your password." in page


def test_email_case_does_not_matter(client, reader):
    response = login(client, type(reader)(email="READER@Example.org"))
    assert response.status_code == 302
    assert signed_in_as(client) == "Rita Reader"


def test_remember_me_sets_a_lasting_cookie(app, client, reader):
    login(client, reader)
    assert client.get_cookie("remember_token") is None

    other = app.test_client()
    login(other, reader, remember=True)
    cookie = other.get_cookie("remember_token")
    assert cookie is not None
    assert cookie.expires is not None and cookie.expires > datetime.now(UTC) + timedelta(days=300)
    assert cookie.http_only

    # The cookie alone signs the browser in again, as after closing it.
    fresh = app.test_client()
    fresh.set_cookie("remember_token", cookie.value)
    assert signed_in_as(fresh) == "Rita Reader"


def test_the_eleventh_attempt_in_a_minute_is_refused(client, reader):
    for _ in range(10):
        response = post_form(
            client, "/auth/login", {"email": reader.email, "password": "not my password"}
        )
        assert response.status_code == 422
    response = post_form(client, "/auth/login", {"email": reader.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "too many attempts from your connection" in response.get_data(as_text=True)
    assert signed_in_as(client) is None
    # Reading the form is not an attempt.
    assert client.get("/auth/login").status_code == 200


def test_next_leads_back_to_a_page_of_this_site(client, reader):
    page = client.get("/auth/login?next=/groups/").get_data(as_text=True)
    assert 'action="/auth/login?next=/groups/"' in page
    response = post_form(
        client, "/auth/login?next=/groups/", {"email": reader.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/groups/"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "https:/evil.example",
        "javascript:alert(1)",
    ],
)
def test_next_never_leaves_the_site(client, reader, target):
    response = post_form(
        client,
        "/auth/login",
        {"email": reader.email, "password": PASSWORD},
        query_string={"next": target},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    # Nor does the form carry it on.
    page = client.get("/auth/login", query_string={"next": target}).get_data(as_text=True)
    assert "evil" not in page and "javascript" not in page


def test_a_banned_member_logs_in_to_read_and_is_told_why(client, banned_reader):
    # Issue 3: suspended and banned people read but do not take part.
    response = post_form(
        client, "/auth/login", {"email": banned_reader.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert signed_in_as(client) == "Bert Banned"
    assert "Your account is banned" in client.get("/").get_data(as_text=True)


def test_a_ban_with_an_end_says_until_when_and_then_lapses(client, reader):
    until = datetime(2031, 3, 4, 12, 30, tzinfo=UTC)
    services.ban_user(None, reader, until)
    db.session.commit()
    login(client, reader)
    assert "until 04 March 2031, 12:30 UTC" in client.get("/").get_data(as_text=True)

    reader.banned_until = datetime.now(UTC) - timedelta(minutes=1)
    db.session.commit()
    assert "until 04 March 2031" not in client.get("/").get_data(as_text=True)
    assert signed_in_as(client) == "Rita Reader"


def test_a_ban_ends_the_members_sessions(app, client, reader):
    login(client, reader)
    services.ban_user(None, reader)
    db.session.commit()
    assert signed_in_as(client) is None


def test_an_unverified_member_is_told_to_confirm_on_login(client, unverified):
    login(client, unverified)
    page = client.get("/").get_data(as_text=True)
    assert "Follow the link we sent to new@example.org" in page
