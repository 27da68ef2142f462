"""The outbox against a real SMTP server: nothing lost, nothing sent twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from forum.core import mail
from forum.core.db import utc_now
from forum.core.mail import OutboxMessage, OutboxState, queue_email
from forum.extensions import db
from tests.notifications.conftest import free_port, make_mail_app

pytestmark = pytest.mark.usefixtures("held_mail")


def queue_tests(count: int) -> list[int]:
    ids = [
        queue_email(f"person{n}@example.org", "notifications/test", sent_by=f"test {n}").id
        for n in range(count)
    ]
    db.session.commit()
    return ids


def rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_queued_email_exists_only_when_its_transaction_commits(app, outbox):
    queue_email("a@example.org", "notifications/test", sent_by="me")
    db.session.rollback()
    assert rows() == []
    queue_email("b@example.org", "notifications/test", sent_by="me")
    db.session.commit()
    [row] = rows()
    assert (row.to_address, row.state, row.attempts) == ("b@example.org", OutboxState.QUEUED, 0)
    assert outbox == [], "queued, not sent: the worker sends"


def test_the_worker_sends_a_proper_multipart_message(mail_app, smtp):
    queue_email(
        "reader@example.org",
        "notifications/test",
        headers={"List-Unsubscribe": "<http://forum.test/digests/unsubscribe/x>"},
        sent_by="the test",
    )
    db.session.commit()
    with mail_app.app_context():
        report = mail.send_due()
    assert report.sent == 1
    [message] = smtp.wait_for(1)
    assert message["To"] == "reader@example.org"
    assert message["From"] == mail_app.config["MAIL_FROM"]
    assert message["Subject"] == "Test email from Forum"
    assert message["Date"]
    [row] = rows()
    assert message["Message-ID"] == row.message_id
    assert message["List-Unsubscribe"] == "<http://forum.test/digests/unsubscribe/x>"
    assert message.get_content_type() == "multipart/alternative"
    assert "sent by the test" in message.get_body(("plain",)).get_content()
    assert "sent by the test" in message.get_body(("html",)).get_content()
    assert row.state is OutboxState.SENT and row.sent_at is not None


def test_smtp_down_loses_nothing_and_the_mail_goes_out_when_it_is_back(app, smtp):
    ids = queue_tests(3)
    down_port = free_port()
    down = make_mail_app(app, f"smtp://127.0.0.1:{down_port}")
    start = utc_now()
    with down.app_context():
        report = mail.send_due(now=start)
    assert report.sent == 0 and report.retrying == 1
    first, *others = rows()
    assert first.state is OutboxState.QUEUED and first.attempts == 1
    assert "Connection refused" in first.last_error or "ConnectionRefused" in first.last_error
    assert first.next_attempt_at == start + timedelta(minutes=1)
    # The server being unreachable, the rest were not even tried.
    assert [(r.state, r.attempts) for r in others] == [(OutboxState.QUEUED, 0)] * 2

    with down.app_context():
        assert mail.send_due(now=start + timedelta(seconds=30)).retrying == 1
    assert rows()[0].attempts == 1, "waits for its backoff"

    # The server comes back (same address): everything goes out, once.
    smtp.stop()
    back = type(smtp)(down_port)
    back.start()
    try:
        with down.app_context():
            report = mail.send_due(now=start + timedelta(minutes=2))
        assert report.sent == 3
        received = back.wait_for(3)
        assert sorted(m["To"] for m in received) == [f"person{n}@example.org" for n in range(3)]
        assert [r.state for r in rows()] == [OutboxState.SENT] * 3
        assert [r.id for r in rows()] == ids
    finally:
        back.stop()
        with down.app_context():
            db.engine.dispose()


def test_backoff_grows_and_ends_in_failure_visible_to_admins(mail_app, smtp):
    smtp.reject_with = "451 Greylisted, try later"
    queue_tests(1)
    now = utc_now()
    waits = []
    with mail_app.app_context():
        mail_app.config["MAIL_MAX_ATTEMPTS"] = 4
        for _ in range(4):
            mail.send_due(now=now)
            row = db.session.get(OutboxMessage, rows()[0].id, populate_existing=True)
            waits.append(row.next_attempt_at - now)
            now = row.next_attempt_at
    [row] = rows()
    assert waits[:3] == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert row.state is OutboxState.FAILED and row.attempts == 4
    assert "Greylisted" in row.last_error


def test_a_permanent_refusal_fails_at_once(mail_app, smtp):
    smtp.reject_with = "550 No such mailbox"
    queue_tests(1)
    with mail_app.app_context():
        report = mail.send_due()
    assert report.failed == 1
    [row] = rows()
    assert row.state is OutboxState.FAILED and row.attempts == 1


def _worker_env(app, smtp_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORUM_")}
    env.update(
        FORUM_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        FORUM_MAIL_URL=smtp_url,
        FORUM_SECRET_KEY=app.config["SECRET_KEY"],
        FORUM_BASE_URL="http://forum.test",
        FORUM_INSTANCE_PATH=os.environ["FORUM_INSTANCE_PATH"],
    )
    return env


def _forum(*args: str) -> list[str]:
    return [sys.executable, "-c", "from forum.cli import main; main()", *args]


def test_two_workers_never_send_the_same_email_twice(app, smtp):
    smtp.delay = 0.05
    queue_tests(40)
    env = _worker_env(app, smtp.url)
    workers = [
        subprocess.Popen(_forum("mail", "send"), env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [worker.communicate(timeout=60)[0] for worker in workers]
    assert all(worker.returncode == 0 for worker in workers), outputs
    received = smtp.wait_for(40)
    assert len(received) == 40, outputs
    assert len({m["Message-ID"] for m in received}) == 40
    assert {r.state for r in rows()} == {OutboxState.SENT}
    # Both took part, each sending what it alone had claimed.
    assert {r.claimed_by.split(":")[1] for r in rows()} == {str(w.pid) for w in workers}


def test_a_worker_killed_mid_batch_leaves_no_duplicates_and_nothing_behind(app, smtp):
    smtp.hold_at = 3
    queue_tests(6)
    worker = subprocess.Popen(
        _forum("mail", "send"),
        env=_worker_env(app, smtp.url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert smtp.holding.wait(30), "the worker never reached the third email"
        time.sleep(0.2)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    smtp.release.set()
    states = [r.state for r in rows()]
    assert states[:2] == [OutboxState.SENT] * 2
    assert states[2] is OutboxState.SENDING, "the one in flight when it died"
    assert states[3:] == [OutboxState.QUEUED] * 3

    # A new worker right away leaves the dead one's claim alone (it may still be alive)...
    restarted = make_mail_app(app, smtp.url)
    try:
        with restarted.app_context():
            assert mail.send_due().sent == 3
            # ...and after the lease it takes the claim back and sends that one too.
            later = utc_now() + timedelta(seconds=restarted.config.get("MAIL_CLAIM_LEASE", 600))
            report = mail.send_due(now=later + timedelta(seconds=1))
            assert report.requeued == 1 and report.sent == 1
    finally:
        with restarted.app_context():
            db.engine.dispose()
    received = smtp.wait_for(6)
    assert sorted(m["To"] for m in received) == [f"person{n}@example.org" for n in range(6)]
    assert {r.state for r in rows()} == {OutboxState.SENT}


def test_send_email_after_a_commit_still_goes_through_the_outbox(app, outbox):
    mail.send_email("late@example.org", "notifications/test", sent_by="a caller")
    [row] = rows()
    assert row.to_address == "late@example.org" and row.state is OutboxState.QUEUED


def test_forum_worker_sends_what_was_queued_and_what_is_queued_later(app, smtp, tmp_path):
    queue_tests(2)
    env = {**_worker_env(app, smtp.url), "FORUM_INSTANCE_PATH": str(tmp_path)}
    worker = subprocess.Popen(
        _forum("worker"), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        # Mail queued while no worker ran goes out when it starts.
        assert len(smtp.wait_for(2, timeout=30)) == 2
        # Mail queued by another process (here the CLI) wakes it through the shared queue.
        queued = subprocess.run(
            _forum("mail", "test", "later@example.org"), env=env, capture_output=True, text=True
        )
        assert queued.returncode == 0, queued.stderr
        received = smtp.wait_for(3, timeout=30)
        assert [m["To"] for m in received][-1] == "later@example.org"
    finally:
        worker.send_signal(signal.SIGINT)
        output = worker.communicate(timeout=30)[0]
    assert worker.returncode == 0, output
    assert "Forum worker: queue in the instance folder" in output
    assert {r.state for r in rows()} == {OutboxState.SENT}
