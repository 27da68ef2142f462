"""Browser journeys: a real HTTP server, a real SMTP server and Debian's Chromium.

The live app shares the session app's database, so a test creates data with the factories
(inside ``with app.app_context():``) and a person then meets it in the browser. The autouse
``_fresh_database`` in tests/conftest.py recognises the ``live_server`` fixture by name: it
pushes no app context around these tests and empties the tables after each one.
"""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from werkzeug.serving import make_server

from forum import create_app
from forum.extensions import db

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    """Every test under tests/browser drives Chromium: ``-m "not browser"`` leaves them out."""
    # Hooks in a conftest see every collected item, so pick this folder's by path.
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


def free_port() -> int:
    """A port nothing listens on now (servers that cannot take port 0 need one named)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# SMTP -----------------------------------------------------------------------------------


@dataclass
class Mailbox:
    """The messages a real SMTP server received, parsed as a mail client would."""

    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def clear(self) -> None:
        with self._arrived:
            self.messages.clear()

    def wait_for(self, to: str, timeout: float = 10.0) -> EmailMessage:
        """The first message to ``to``, waiting for it to arrive (mail may be sent late)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for message in self.messages:
                    if to in str(message["To"]):
                        return message
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    received = [(str(m["To"]), str(m["Subject"])) for m in self.messages]
                    raise AssertionError(f"no email to {to} within {timeout}s; got {received}")
                self._arrived.wait(remaining)


def text_of(message: EmailMessage) -> str:
    """The plain-text part, which is what a person without HTML mail reads."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, f"email {message['Subject']!r} has no text part"
    return part.get_content()


def link_in(message: EmailMessage, base_url: str, path_prefix: str) -> str:
    """The first absolute link in the text part that starts with ``base_url + path_prefix``."""
    pattern = re.escape(base_url.rstrip("/") + path_prefix) + r"[^\s<>\"')\]]+"
    match = re.search(pattern, text_of(message))
    assert match, f"no {path_prefix} link in:\n{text_of(message)}"
    return match.group(0)


@pytest.fixture(scope="session")
def smtp_server():
    """A real SMTP server on loopback; ``smtp_server.messages`` holds what it received."""
    mailbox = Mailbox("127.0.0.1", free_port())
    controller = Controller(mailbox, hostname=mailbox.host, port=mailbox.port)
    controller.start()
    yield mailbox
    controller.stop()


@pytest.fixture(autouse=True)
def _empty_mailbox(smtp_server):
    smtp_server.clear()
    yield


# HTTP -----------------------------------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    app: Flask


@contextmanager
def serve(make_app: Callable[[str], Flask]) -> Iterator[LiveServer]:
    """Serve ``make_app(url)`` over real HTTP on a free loopback port, in a daemon thread."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    served = make_app(url)
    server = make_server("127.0.0.1", port, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=f"live-{port}", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=url, app=served)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        with served.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(app, smtp_server):
    """The app served over real HTTP on loopback, with the session app's database."""

    def make_app(url: str) -> Flask:
        return create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "browser-test-secret",
                "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                "MAIL_URL": smtp_server.url,
                "BASE_URL": url,
                "PASSWORD_HASH_METHOD": app.config["PASSWORD_HASH_METHOD"],
            }
        )

    with serve(make_app) as server:
        yield server


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    """pytest-playwright opens relative URLs (``page.goto("/articles/")``) against this."""
    return live_server.url


@pytest.fixture
def browser_context_args(browser_context_args):
    # 1280 wide, as the screenshots in the README are; a person's timezone is UTC here.
    return {
        **browser_context_args,
        "viewport": {"width": 1280, "height": 900},
        "timezone_id": "UTC",
        "locale": "en-GB",
    }
