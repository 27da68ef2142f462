"""Webhooks reach only the internet: an address inside the network (loopback, private,
link-local such as a cloud's metadata service, reserved, localhost names) is refused when an
admin saves it, beside the field with the text kept, and again when a delivery is sent, where
the host is resolved anew. Redirects are not followed. OUTBOUND_ALLOW_INTERNAL lifts it."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from forum.api import services, webhooks
from forum.api.models import DeliveryState, Webhook, WebhookDelivery
from forum.core.errors import ValidationFailed
from forum.extensions import db
from tests.conftest import login, post_form

INTERNAL = [
    "http://127.0.0.1:8080/hooks",
    "http://127.1/hooks",
    "http://2130706433/hooks",  # 127.0.0.1 written as one number
    "http://10.1.2.3/hooks",
    "http://192.168.0.10/hooks",
    "http://172.16.5.4/hooks",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/hooks",
    "http://0.0.0.0:9000/",
    "http://[::1]:8080/hooks",
    "http://[::ffff:127.0.0.1]/hooks",
    "http://[fd00::1]/hooks",
    "http://[fe80::1]/hooks",
    "http://[::127.0.0.1]/hooks",  # IPv4-compatible: Python 3.11 calls it global
    "http://[::10.0.0.1]/hooks",
    "http://[64:ff9b::a00:1]/hooks",  # NAT64 of 10.0.0.1
    "http://[64:ff9b:1::a00:1]/hooks",  # a network's own NAT64 (RFC 8215)
    "http://localhost:9000/hooks",
    "http://receiver.localhost/hooks",
    "https://LOCALHOST./hooks",
]
PUBLIC = "https://93.184.215.14/hooks"


class Receiver:
    """A real HTTP server on loopback that records what reaches it and answers ``status``
    (with ``location`` as its Location header)."""

    def __init__(self, status: int = 200, location: str | None = None):
        self.received: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(self.path)
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    running = Receiver()
    yield running
    running.close()


def _deliveries() -> list[WebhookDelivery]:
    return list(db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


@pytest.mark.parametrize("url", INTERNAL)
def test_an_internal_address_is_refused_when_saved(admin, url):
    with pytest.raises(ValidationFailed) as refused:
        services.create_webhook(admin, url, ["post.created"])
    assert refused.value.field == "url"
    assert "address inside the network" in refused.value.message
    db.session.rollback()
    assert db.session.scalar(select(Webhook)) is None


def test_a_public_address_is_accepted(admin):
    made = services.create_webhook(admin, PUBLIC, ["post.created"])
    db.session.commit()
    assert made.url == PUBLIC


@pytest.mark.parametrize("url", ["http://[64:ff9b::5db8:d70e]/hooks", "http://[2606:4700::1]/"])
def test_public_ipv6_addresses_are_accepted(admin, url):
    assert services.create_webhook(admin, url, ["post.created"]).url == url


def test_the_form_says_why_beside_the_field_and_keeps_the_text(client, admin):
    login(client, admin)
    url = "http://169.254.169.254/latest/meta-data/"
    response = post_form(
        client, "/admin/webhooks", {"url": url, "post_created": "y"}, page="/admin/webhooks"
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="url-error"' in html
    assert "169.254.169.254 is an address inside the network (169.254.169.254)" in html
    assert f'value="{url}"' in html
    assert db.session.scalar(select(Webhook)) is None


@pytest.mark.parametrize("url", ["http://[::1/hooks", "http://[not-an-address]/hooks"])
def test_a_malformed_host_is_refused_beside_the_field(client, admin, url):
    login(client, admin)
    response = post_form(
        client, "/admin/webhooks", {"url": url, "post_created": "y"}, page="/admin/webhooks"
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="url-error"' in html and "Give an address starting with https://" in html
    assert f'value="{url}"' in html


def test_a_webhook_whose_host_turns_internal_is_not_delivered(admin, receiver):
    """Saved while public; by delivery time it points inside (a changed DNS answer does the
    same): nothing is sent, and the delivery fails at once with the reason."""
    webhook = services.create_webhook(admin, PUBLIC, ["post.created"])
    db.session.commit()
    webhook.url = receiver.url
    db.session.commit()

    services.queue_event(db.session(), "post.created", lambda: {"post": None})
    db.session.commit()  # wakes the sender, which tries at once
    webhooks.send_due()

    (delivery,) = _deliveries()
    assert receiver.received == []
    assert delivery.state is DeliveryState.FAILED and delivery.attempts == 1
    assert delivery.last_error.startswith("Refused: 127.0.0.1 is an internal address")


def test_a_localhost_name_is_refused_at_delivery(admin):
    webhook = services.create_webhook(admin, PUBLIC, ["post.created"])
    db.session.commit()
    webhook.url = "http://localhost:9/hooks"
    db.session.commit()
    services.queue_event(db.session(), "post.created", lambda: {"post": None})
    db.session.commit()
    (delivery,) = _deliveries()
    assert delivery.state is DeliveryState.FAILED
    assert "localhost is an internal address" in delivery.last_error


def test_redirects_are_not_followed(app, admin, receiver, monkeypatch):
    """Even with internal targets allowed, a 3xx is the answer: its Location is not asked."""
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_INTERNAL", True)
    redirecting = Receiver(status=302, location=receiver.url)
    try:
        services.create_webhook(admin, redirecting.url, ["post.created"])
        db.session.commit()
        services.queue_event(db.session(), "post.created", lambda: {"post": None})
        db.session.commit()
    finally:
        redirecting.close()
    (delivery,) = _deliveries()
    assert redirecting.received == ["/hooks"]
    assert receiver.received == []
    assert delivery.last_status == 302 and delivery.state is DeliveryState.QUEUED


def test_the_setting_allows_internal_targets(app, admin, receiver, monkeypatch):
    monkeypatch.setitem(app.config, "OUTBOUND_ALLOW_INTERNAL", True)
    services.create_webhook(admin, receiver.url, ["post.created"])
    db.session.commit()
    services.queue_event(db.session(), "post.created", lambda: {"post": None})
    db.session.commit()
    (delivery,) = _deliveries()
    assert delivery.state is DeliveryState.DELIVERED and receiver.received == ["/hooks"]
