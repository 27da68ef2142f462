"""``forum users``: the operator's commands, through the same rules as the web."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from werkzeug.security import check_password_hash

from forum.accounts.models import Role, User, UserStatus
from forum.extensions import db
from tests.conftest import PASSWORD, post_form


def run(app, *args):
    return app.test_cli_runner().invoke(args=["users", *args])


def account(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def test_create_a_verified_admin_who_can_log_in(app, client):
    result = run(
        app, "create", "ops@example.org", "--name", "Olga Ops", "--password", PASSWORD,
        "--role", "admin", "--verified",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (
        "Created Olga Ops <ops@example.org> as admin (verified), profile /users/olga-ops."
        in result.output
    )
    user = account("ops@example.org")
    assert (user.role, user.is_verified) == (Role.ADMIN, True)
    assert check_password_hash(user.password_hash, PASSWORD)
    response = post_form(client, "/auth/login", {"email": "ops@example.org", "password": PASSWORD})
    assert response.status_code == 302


def test_create_defaults_to_an_unverified_reader(app):
    result = run(app, "create", "r@example.org", "--name", "R", "--password", PASSWORD)
    assert result.exit_code == 0, result.output
    assert "as reader (not verified)" in result.output
    user = account("r@example.org")
    assert (user.role, user.is_verified) == (Role.READER, False)


def test_create_refuses_bad_input_with_exit_1(app, reader):
    cases = [
        (["not-an-email", "--password", PASSWORD], "is not an email address"),
        (["reader@example.org", "--password", PASSWORD], "already uses this email address"),
        (["x@example.org", "--password", "short"], "Use at least 10 characters"),
        (["x@example.org", "--password", PASSWORD, "--role", "king"], "Unknown role “king”"),
    ]
    for args, message in cases:
        result = run(app, "create", args[0], "--name", "Some One", *args[1:])
        assert result.exit_code == 1, result.output
        assert message in result.output
    assert account("x@example.org") is None


def test_promote(app, reader):
    result = run(app, "promote", "READER@example.org", "moderator")
    assert result.exit_code == 0, result.output
    assert "Rita Reader <reader@example.org> is now moderator." in result.output
    assert account("reader@example.org").role is Role.MODERATOR

    result = run(app, "promote", "reader@example.org", "emperor")
    assert result.exit_code == 1
    assert "Unknown role “emperor”: choose one of reader, moderator, admin." in result.output

    result = run(app, "promote", "nobody@example.org", "admin")
    assert result.exit_code == 1
    assert "There is no account with the email address 'nobody@example.org'." in result.output


def test_ban_until_a_date_then_unban(app, client, reader):
    result = run(app, "ban", reader.email, "--until", "2031-01-02")
    assert result.exit_code == 0, result.output
    assert "This account is banned until 2 Jan 2031, 00:00 UTC." in result.output
    user = account(reader.email)
    assert user.status is UserStatus.BANNED
    assert user.banned_until == datetime(2031, 1, 2, tzinfo=UTC)
    # Signed in to read, and told until when they cannot take part.
    response = post_form(client, "/auth/login", {"email": reader.email, "password": PASSWORD})
    assert "until 02 January 2031" in client.get("/").get_data(as_text=True)

    result = run(app, "unban", reader.email)
    assert result.exit_code == 0, result.output
    assert "Rita Reader <reader@example.org> is no longer banned." in result.output
    assert account(reader.email).is_banned() is False
    response = post_form(client, "/auth/login", {"email": reader.email, "password": PASSWORD})
    assert response.status_code == 302


def test_ban_for_good_and_bad_dates(app, reader):
    result = run(app, "ban", reader.email)
    assert result.exit_code == 0, result.output
    assert "This account is banned." in result.output
    assert account(reader.email).banned_until is None

    for value, message in [
        ("next week", "is not a date"),
        ("2001-01-01", "The end of a ban must be in the future."),
    ]:
        result = run(app, "ban", reader.email, "--until", value)
        assert result.exit_code == 1
        assert message in result.output
