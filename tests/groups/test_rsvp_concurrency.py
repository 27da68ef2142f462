"""Two members ask for the last seat at the same moment, over real HTTP against a threaded
server: one gets it, the other is waitlisted, never both."""

from __future__ import annotations

import http.cookiejar
import re
import socket
import threading
import urllib.parse
import urllib.request
from datetime import timedelta

from sqlalchemy import select
from werkzeug.serving import make_server

from forum import create_app
from forum.core.db import utc_now
from forum.extensions import db
from forum.groups.models import Rsvp, RsvpStatus
from tests import factories
from tests.conftest import PASSWORD
from tests.groups.conftest import make_membership, make_session

CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
ROUNDS = 4


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Browser:
    """A person with their own cookies, speaking HTTP to the server."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=20) as response:
            return response.read().decode()

    def post(self, path: str, data: dict, page: str) -> int:
        token = CSRF.search(self.get(page)).group(1)
        body = urllib.parse.urlencode({"csrf_token": token, **data}).encode()
        with self.opener.open(self.base + path, data=body, timeout=20) as response:
            return response.status


def test_the_last_seat_goes_to_one_of_two_simultaneous_requests(app, group):
    people = []
    for number in range(2):
        user = factories.make_user(f"racer{number}@example.org", f"Racer {number}")
        make_membership(group, user)
        people.append(user)
    day = (utc_now() + timedelta(days=3)).date()
    sessions = [make_session(group, starts_on=day, capacity=1) for _ in range(ROUNDS)]
    db.session.commit()

    port = _free_port()
    served = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "race-secret",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "MAIL_URL": "locmem://",
            "BASE_URL": f"http://127.0.0.1:{port}",
            "PASSWORD_HASH_METHOD": app.config["PASSWORD_HASH_METHOD"],
        }
    )
    server = make_server("127.0.0.1", port, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        browsers = [Browser(f"http://127.0.0.1:{port}") for _ in people]
        for browser, person in zip(browsers, people, strict=True):
            browser.post(
                "/auth/login", {"email": person.email, "password": PASSWORD}, "/auth/login"
            )
        for session in sessions:
            page = f"/groups/{group.slug}/sessions/{session.id}"
            tokens = [CSRF.search(b.get(page)).group(1) for b in browsers]
            start = threading.Barrier(len(browsers))
            statuses: list[int] = []

            def answer(browser, token, path=f"{page}/rsvp", start=start, statuses=statuses):
                body = urllib.parse.urlencode({"csrf_token": token, "status": "going"}).encode()
                start.wait()
                with browser.opener.open(browser.base + path, data=body, timeout=20) as reply:
                    statuses.append(reply.status)

            racers = [
                threading.Thread(target=answer, args=(browser, token))
                for browser, token in zip(browsers, tokens, strict=True)
            ]
            for racer in racers:
                racer.start()
            for racer in racers:
                racer.join(timeout=30)
            assert statuses == [200, 200]  # each followed the redirect back to the page
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        with served.app_context():
            db.engine.dispose()

    db.session.expire_all()
    for session in sessions:
        answers = sorted(
            db.session.scalars(select(Rsvp.status).where(Rsvp.session_id == session.id))
        )
        assert answers == [RsvpStatus.GOING, RsvpStatus.WAITLISTED]
