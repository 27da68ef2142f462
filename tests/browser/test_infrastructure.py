"""The parts the journeys stand on: the live server answers, and its mail reaches SMTP."""

from __future__ import annotations

from flask_mailman import EmailMessage


def test_live_server_answers_over_http(page):
    response = page.goto("/healthz")
    assert response is not None and response.status == 200
    assert '"status":"ok"' in page.content().replace(" ", "")


def test_mail_from_the_live_app_arrives_over_smtp(live_server, smtp_server):
    with live_server.app.app_context():
        EmailMessage("Hello", "Plain words.", to=["rita@example.org"]).send()
    message = smtp_server.wait_for("rita@example.org")
    assert message["Subject"] == "Hello"
    assert "Plain words." in message.get_content()
