"""A real SMTP server whose behaviour a test can change, and an app that sends through it."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from forum import create_app
from forum.extensions import db

# The groups' fixtures (a group, its organiser and a member) for groups' notifications.
from tests.groups.conftest import group, member, organiser  # noqa: F401

BASE_URL = "http://forum.test"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class SMTPServer:
    """aiosmtpd on loopback. ``hold_at`` makes the n-th message wait until ``release``; a held
    message is answered 451 (not accepted), as when the sender died before the server took it."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    delay: float = 0.0
    reject_with: str | None = None
    hold_at: int | None = None
    holding: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    _seen: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        import asyncio

        with self._lock:
            self._seen += 1
            seen = self._seen
        if self.hold_at is not None and seen == self.hold_at:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
            return "451 Try again later"
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.reject_with:
            return self.reject_with
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.release.set()
            self.controller.stop()
            self.controller = None

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.messages)


@pytest.fixture
def smtp():
    server = SMTPServer(free_port())
    server.start()
    yield server
    server.stop()


def make_mail_app(app, mail_url: str, **config):
    """Another app on the test database, sending through ``mail_url`` (as a worker would)."""
    return create_app(
        {
            "TESTING": True,
            "JOBS_IMMEDIATE": False,
            "SECRET_KEY": app.config["SECRET_KEY"],
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "MAIL_URL": mail_url,
            "BASE_URL": BASE_URL,
            "PASSWORD_HASH_METHOD": app.config["PASSWORD_HASH_METHOD"],
            **config,
        }
    )


@pytest.fixture
def mail_app(app, smtp):
    sender = make_mail_app(app, smtp.url)
    yield sender
    with sender.app_context():
        db.engine.dispose()


@pytest.fixture
def held_mail(app, monkeypatch):
    """Queued mail stays in the outbox until the test sends it (no wake-up after commit)."""
    from forum.core import mail

    monkeypatch.delitem(app.extensions, mail.WAKE_SENDER)


def trust(*users) -> None:
    """Past the site's "new user" review: their posts publish at once."""
    for user in users:
        user.approved_post_count = 1000
    db.session.commit()
