"""Webhooks: queued with their cause, signed, sent by the worker's task to a real HTTP
receiver on loopback, and retried with growing pauses when the receiver fails."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from forum.api import services, webhooks
from forum.api.models import DeliveryState, WebhookDelivery
from forum.core.db import utc_now
from forum.extensions import db
from forum.moderation import services as moderation
from tests.api.conftest import bearer
from tests.conftest import login, post_form


class Receiver:
    """A real HTTP server on 127.0.0.1 that records each request and answers with the next
    status in ``answers`` (then 200)."""

    def __init__(self):
        self.received: list[dict] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(autouse=True)
def _internal_targets_allowed(app, monkeypatch):
    """The receiver listens on loopback, which webhooks refuse unless the setting allows it."""
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_INTERNAL", True)


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def webhook(admin, receiver):
    made = services.create_webhook(admin, receiver.url, ["post.created", "moderation.decision"])
    db.session.commit()
    return made


def _deliveries():
    return list(db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_a_new_post_is_delivered_signed_to_the_receiver(
    client, receiver, webhook, discussion, write_token
):
    response = client.post(
        f"/api/v1/discussions/{discussion.id}/posts",
        json={"body": "News for the receiver."},
        headers=bearer(write_token),
    )
    assert response.status_code == 201
    # The commit woke the worker's task (run at once under TESTING): already delivered.
    (delivery,) = _deliveries()
    assert delivery.state is DeliveryState.DELIVERED and delivery.attempts == 1
    (request,) = receiver.received
    body = request["body"]
    assert request["headers"]["X-Forum-Event"] == "post.created"
    assert request["headers"]["X-Forum-Delivery"] == str(delivery.id)
    signature = request["headers"]["X-Forum-Signature"]
    assert webhooks.verify(webhook.secret, signature, body, now=int(time.time()))
    assert not webhooks.verify("another secret", signature, body, now=int(time.time()))
    assert not webhooks.verify(webhook.secret, signature, body + b" ", now=int(time.time()))
    assert not webhooks.verify(webhook.secret, signature, body, now=int(time.time()) + 3600)
    payload = json.loads(body)
    assert payload["event"] == "post.created"
    assert payload["data"]["post"]["id"] == response.json["id"]
    assert payload["data"]["post"]["body_md"] == "News for the receiver."


def test_a_failing_receiver_is_retried_with_growing_pauses(
    receiver, webhook, discussion, moderator, thread
):
    receiver.answers = [500, 503]
    now = utc_now()
    moderation.lock_discussion(moderator, discussion, True, "Enough.", now=now)
    db.session.commit()
    (delivery,) = _deliveries()
    assert delivery.state is DeliveryState.QUEUED and delivery.attempts == 1
    assert delivery.last_status == 500
    first_retry = delivery.next_attempt_at

    # Not due yet: nothing is sent.
    assert webhooks.send_due(now=now + timedelta(seconds=10)).attempted == 0
    report = webhooks.send_due(now=first_retry)
    assert report.retrying == 1
    db.session.refresh(delivery)
    assert delivery.attempts == 2 and delivery.last_status == 503
    assert delivery.next_attempt_at - first_retry > first_retry - now  # the pause grew

    report = webhooks.send_due(now=delivery.next_attempt_at)
    assert report.delivered == 1
    db.session.refresh(delivery)
    assert delivery.state is DeliveryState.DELIVERED
    bodies = [json.loads(r["body"]) for r in receiver.received]
    assert len(bodies) == 3 and bodies[0] == bodies[2]  # the same event each time
    assert bodies[0]["event"] == "moderation.decision"
    assert bodies[0]["data"]["action"] == "lock" and bodies[0]["data"]["reason"] == "Enough."
    # Each attempt is signed anew with its own time.
    assert webhooks.verify(
        webhook.secret,
        receiver.received[2]["headers"]["X-Forum-Signature"],
        receiver.received[2]["body"],
        now=int(delivery.next_attempt_at.timestamp()),
    )


def test_a_receiver_that_never_answers_fails_after_the_last_attempt(
    app, webhook, admin, monkeypatch
):
    monkeypatch.setitem(app.config, "WEBHOOK_MAX_ATTEMPTS", 2)
    webhook.url = "http://127.0.0.1:9/nobody-listens"
    db.session.commit()
    services.queue_event(db.session(), "post.created", lambda: {"post": None})
    db.session.commit()
    (delivery,) = _deliveries()  # the commit's wake-up tried it once already
    assert delivery.attempts == 1 and delivery.last_status is None
    assert "Error" in delivery.last_error
    webhooks.send_due(now=delivery.next_attempt_at)
    db.session.refresh(delivery)
    assert delivery.state is DeliveryState.FAILED


def test_a_delivery_rolls_back_with_its_cause(webhook, discussion, reader):
    from forum.discussions import services as discussions

    discussions.post_reply(reader, discussion, None, "Never committed.")
    assert len(_deliveries()) == 1
    db.session.rollback()
    assert _deliveries() == []


def test_paused_webhooks_are_sent_nothing(receiver, webhook, admin, discussion, reader):
    from forum.discussions import services as discussions

    services.set_webhook_active(admin, webhook, False)
    discussions.post_reply(reader, discussion, None, "Quiet.")
    db.session.commit()
    assert _deliveries() == [] and receiver.received == []


def test_a_post_on_a_quiet_site_reads_no_webhooks_yet_misses_none_made_later(
    app, receiver, admin, moderator, discussion, reader
):
    """Posting learns in its own check that no webhook is active, so its event reads none;
    that answer lasts until a webhook is made or switched on, or the transaction ends."""
    from forum.api.models import Webhook
    from forum.discussions import services as discussions

    def events():
        return [json.loads(delivery.payload)["event"] for delivery in _deliveries()]

    discussions.post_reply(reader, discussion, None, "Nobody listens yet.")
    hook = services.create_webhook(admin, receiver.url, ["moderation.decision"])
    moderation.lock_discussion(moderator, discussion, True, "Made after the post.")
    db.session.commit()
    assert events() == ["moderation.decision"]

    services.set_webhook_active(admin, hook, False)
    moderation.lock_discussion(moderator, discussion, False, "Unheard.")
    discussions.post_reply(reader, discussion, None, "Quiet again.")
    services.set_webhook_active(admin, hook, True)
    moderation.lock_discussion(moderator, discussion, True, "Switched on after the post.")
    db.session.commit()
    assert events() == ["moderation.decision"] * 2

    # Switched on by another instance once a quiet post's transaction has ended.
    services.set_webhook_active(admin, hook, False)
    moderation.lock_discussion(moderator, discussion, False, "Unheard.")
    discussions.post_reply(reader, discussion, None, "Unheard.")
    db.session.commit()
    with app.app_context():
        db.session.get(Webhook, hook.id).is_active = True
        db.session.commit()
    moderation.lock_discussion(moderator, discussion, True, "Seen by this instance.")
    db.session.commit()
    assert events() == ["moderation.decision"] * 3


def test_admins_configure_webhooks_on_their_page(client, admin, receiver):
    login(client, admin)
    page = client.get("/admin/webhooks")
    assert page.status_code == 200
    created = post_form(
        client,
        "/admin/webhooks",
        {"url": receiver.url, "post_created": "y"},
        page="/admin/webhooks",
    )
    assert created.status_code == 201
    html = created.get_data(as_text=True)
    from forum.api.models import Webhook

    hook = db.session.scalar(select(Webhook))
    assert hook.event_list == ["post.created"] and hook.secret in html
    refused = post_form(client, "/admin/webhooks", {"url": "ftp://x"}, page="/admin/webhooks")
    assert refused.status_code == 422
    deleted = post_form(client, f"/admin/webhooks/{hook.id}/delete", {}, page="/admin/webhooks")
    assert deleted.status_code == 302
    assert db.session.scalar(select(Webhook)) is None


def test_only_admins_see_the_webhooks_page(client, reader, moderator):
    for person in (reader, moderator):
        login(client, person)
        assert client.get("/admin/webhooks").status_code == 403
        post_form(client, "/auth/logout", {})
