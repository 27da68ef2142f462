from __future__ import annotations

import pytest

from forum import create_app
from forum.config import mail_settings
from forum.core.urls import safe_next


def test_a_fresh_instance_needs_no_configuration(tmp_path, monkeypatch):
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path))
    for name in ("DATABASE_URL", "SECRET_KEY", "MAIL_URL", "BASE_URL", "REDIS_URL"):
        monkeypatch.delenv(f"FORUM_{name}", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'forum.db'}"
    assert app.config["MAIL_BACKEND"] == "file"
    assert app.config["MAIL_FILE_PATH"] == str(tmp_path / "mail")
    secret = app.config["SECRET_KEY"]
    assert len(secret) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert create_app().config["SECRET_KEY"] == secret  # kept, so sessions survive restarts


def test_environment_variables_override_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("FORUM_DATABASE_URL", "sqlite:///" + str(tmp_path / "other.db"))
    monkeypatch.setenv("FORUM_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("FORUM_BASE_URL", "https://forum.example.org")
    monkeypatch.setenv("FORUM_MAIL_FROM", "Team <team@example.org>")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("other.db")
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["MAIL_DEFAULT_SENDER"] == "Team <team@example.org>"


def test_mail_urls():
    assert mail_settings("console://") == {"MAIL_BACKEND": "console"}
    smtp = mail_settings("smtp://user%40x:p%3Ass@mail.example.org:2525?starttls=1")
    assert smtp["MAIL_SERVER"] == "mail.example.org" and smtp["MAIL_PORT"] == 2525
    assert smtp["MAIL_USERNAME"] == "user@x" and smtp["MAIL_PASSWORD"] == "p:ss"
    assert smtp["MAIL_USE_TLS"] is True and smtp["MAIL_USE_SSL"] is False
    assert mail_settings("smtps://mail.example.org")["MAIL_PORT"] == 465
    with pytest.raises(ValueError, match="FORUM_MAIL_URL"):
        mail_settings("carrier-pigeon://coop")


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/articles/x?page=2", "/articles/x?page=2"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("articles", "/"),
        ("/ok\r\nSet-Cookie: x", "/"),
        (None, "/"),
    ],
)
def test_next_stays_on_this_site(target, expected):
    assert safe_next(target) == expected
