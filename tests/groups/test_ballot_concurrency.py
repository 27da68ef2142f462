"""One person sends their vote twice at the same moment (a double click, two tabs), over
real HTTP against a threaded server: it counts once."""

from __future__ import annotations

import threading
import urllib.error
import urllib.parse
from datetime import timedelta

from forum import create_app
from forum.core.db import utc_now
from forum.extensions import db
from forum.groups import services
from forum.groups.models import Ballot, Rsvp, RsvpStatus
from tests import factories
from tests.conftest import PASSWORD
from tests.groups.conftest import make_membership, make_session
from tests.groups.test_rsvp_concurrency import CSRF, Browser, _free_port

ROUNDS = 3


def test_two_votes_sent_at_once_count_once(app, group):
    voter = factories.make_user("twice@example.org", "Tess Twice")
    make_membership(group, voter)
    day = (utc_now() + timedelta(days=3)).date()
    ballots = []
    for _ in range(ROUNDS):
        session = make_session(group, starts_on=day)
        db.session.add(Rsvp(session_id=session.id, user_id=voter.id, status=RsvpStatus.GOING))
        ballot = services.create_ballot(
            None,
            session,
            services.BallotInput("Race", services.parse_ballot_questions("Agree?\n- Yes\n- No")),
        )
        services.open_ballot(None, ballot)
        ballots.append(ballot)
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
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", port, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        browser = Browser(f"http://127.0.0.1:{port}")
        browser.post("/auth/login", {"email": voter.email, "password": PASSWORD}, "/auth/login")
        for ballot in ballots:
            page = f"/groups/{group.slug}/sessions/{ballot.session_id}/ballot"
            token = CSRF.search(browser.get(page)).group(1)
            question = ballot.questions[0]
            body = urllib.parse.urlencode(
                {"csrf_token": token, f"q{question.id}": question.choices[0].id}
            ).encode()
            start = threading.Barrier(2)
            statuses: list[int] = []

            def send(path=f"{page}/vote", body=body, start=start, statuses=statuses):
                start.wait()
                try:
                    with browser.opener.open(browser.base + path, data=body, timeout=20) as reply:
                        statuses.append(reply.status)
                except urllib.error.HTTPError as refused:
                    statuses.append(refused.code)

            racers = [threading.Thread(target=send) for _ in range(2)]
            for racer in racers:
                racer.start()
            for racer in racers:
                racer.join(timeout=30)
            # One is counted (and follows the redirect to the page); the other is refused.
            assert sorted(statuses) in ([200, 403], [200, 422]), statuses
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        with served.app_context():
            db.engine.dispose()

    db.session.expire_all()
    for ballot in ballots:
        counted = db.session.get(Ballot, ballot.id)
        assert counted.voter_count == 1
        assert [c.votes for c in counted.questions[0].choices] == [1, 0]
