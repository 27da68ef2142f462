"""The administrators' mail page, and the job queue the worker runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from huey import RedisHuey, SqliteHuey
from sqlalchemy import select

from forum.core import mail
from forum.core.mail import OutboxMessage, OutboxState, queue_email
from forum.extensions import db
from forum.notifications import jobs
from tests.conftest import login, post_form, require_redis
from tests.notifications.conftest import make_mail_app


def test_admins_see_the_outbox_and_send_a_test_email(client, admin, outbox):
    login(client, admin)
    page = client.get("/admin/mail")
    assert page.status_code == 200
    assert "No messages." in page.get_data(as_text=True)
    response = post_form(client, "/admin/mail/test", {"to": "ops@example.org"}, page="/admin/mail")
    assert response.status_code == 302
    # Under test the queue runs at once: the commit woke the sender.
    [message] = outbox
    assert message.to == ["ops@example.org"] and "sent by Ada Admin" in message.body
    listing = client.get("/admin/mail").get_data(as_text=True)
    assert "ops@example.org" in listing and "Test email from Forum" in listing
    assert "Sent: 1" in listing


def test_a_bad_test_address_is_refused_beside_the_field(client, admin):
    login(client, admin)
    response = post_form(client, "/admin/mail/test", {"to": "not an address"}, page="/admin/mail")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="not an address"' in html and "Enter an email address such as" in html


def test_a_failed_message_is_shown_as_its_recipient_sees_it_and_can_be_retried(
    client, admin, held_mail
):
    message = queue_email("x@example.org", "notifications/test", sent_by="the queue")
    message.state = OutboxState.FAILED
    message.attempts = 10
    message.last_error = "SMTPRecipientsRefused: 550 no such user"
    db.session.commit()
    login(client, admin)
    listing = client.get("/admin/mail?state=failed").get_data(as_text=True)
    assert "550 no such user" in listing and "Failed: 1" in listing
    page = client.get(f"/admin/mail/{message.id}").get_data(as_text=True)
    assert message.message_id.replace("<", "&lt;").replace(">", "&gt;") in page
    assert "sent by the queue" in page, "the plain-text part"
    assert f'src="/admin/mail/{message.id}/html"' in page
    framed = client.get(f"/admin/mail/{message.id}/html")
    assert "sent by the queue" in framed.get_data(as_text=True)
    assert "script-src" not in framed.headers["Content-Security-Policy"]
    assert framed.headers["X-Frame-Options"] == "SAMEORIGIN"
    post_form(client, f"/admin/mail/{message.id}/retry", {}, page=f"/admin/mail/{message.id}")
    db.session.expire_all()
    row = db.session.get(OutboxMessage, message.id)
    assert (row.state, row.attempts) == (OutboxState.QUEUED, 0)


@pytest.mark.parametrize("path", ["/admin/mail", "/admin/mail/1", "/admin/mail/1/html"])
def test_only_admins_see_mail(client, reader, moderator, path):
    assert client.get(path).status_code == 302
    for person in (reader, moderator):
        login(client, person)
        assert client.get(path).status_code == 403
        post_form(client, "/auth/logout", {})


def test_the_queue_lives_in_the_instance_folder_by_default(app, tmp_path, monkeypatch):
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path))
    worker_app = make_mail_app(app, "locmem://")
    huey = jobs.get_huey(worker_app)
    assert isinstance(huey, SqliteHuey) and not huey.immediate
    assert Path(huey.storage.filename) == tmp_path / "jobs.db"
    assert jobs.get_huey(worker_app) is huey
    assert {"send_outbox", "sweep_outbox", "send_digests"} <= set(worker_app.extensions[jobs.TASKS])


def test_committing_mail_wakes_a_worker_through_the_queue(app, tmp_path, monkeypatch):
    """Mail committed in a web process becomes a task in the shared queue; a worker runs it."""
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path))
    web = make_mail_app(app, "locmem://")
    with web.app_context():
        queue_email("queued@example.org", "notifications/test", sent_by="the web")
        db.session.commit()
        huey = jobs.get_huey(web)
        assert huey.pending_count() == 1
        task = huey.dequeue()
        huey.execute(task)
        state = db.session.scalar(select(OutboxMessage.state))
        assert state is OutboxState.SENT
        assert [m.to for m in web.extensions["mailman"].outbox] == [["queued@example.org"]]
        db.session.remove()
        db.engine.dispose()


def test_redis_holds_the_queue_when_configured(app):
    url = require_redis()
    import redis

    web = make_mail_app(app, "locmem://", REDIS_URL=url)
    with web.app_context():
        huey = jobs.get_huey(web)
        assert isinstance(huey, RedisHuey)
        huey.flush()
        queue_email("redis@example.org", "notifications/test", sent_by="Redis")
        db.session.commit()
        assert huey.pending_count() == 1
        assert redis.Redis.from_url(url).llen(huey.storage.queue_key) == 1
        huey.execute(huey.dequeue())
        assert db.session.scalar(select(OutboxMessage.state)) is OutboxState.SENT
        huey.flush()
        db.session.remove()
        db.engine.dispose()


def test_mail_send_command_reports_what_it_did(app, held_mail):
    queue_email("cli@example.org", "notifications/test", sent_by="the command")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    assert "Sent 1; 0 to retry later; 0 failed" in result.output
    assert mail.due_ids(mail.utc_now(), 10) == []


def test_admins_find_the_mail_page_in_the_menu(client, admin, moderator):
    login(client, moderator)
    assert 'href="/admin/mail"' not in client.get("/").get_data(as_text=True)
    post_form(client, "/auth/logout", {})
    login(client, admin)
    assert 'href="/admin/mail"' in client.get("/").get_data(as_text=True)
