"""/healthz for load balancers, and request ids in responses, logs and error pages."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from flask import current_app

from forum.core.db import utc_now
from forum.core.mail import queue_email
from forum.extensions import db
from tests.notifications.conftest import free_port


def test_healthz_checks_the_database_and_the_queue(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {
        "status": "ok",
        "database": "ok",
        "queue": "ok",
        "outbox": {"unsent": 0, "oldest_unsent_seconds": None},
    }


def test_healthz_reports_mail_piling_up_as_degraded(app, client, reader):
    # Queued an hour ago, waiting to be retried (the mail server refused it): not sent yet.
    for hours in (1, 0):
        message = queue_email(
            reader.email,
            "notifications/test",
            sent_by="a test",
            now=utc_now() - timedelta(hours=hours),
        )
        message.next_attempt_at = utc_now() + timedelta(minutes=10)
    db.session.commit()

    body = client.get("/healthz")

    # Still serving: every instance would say the same, so none is taken out.
    assert body.status_code == 200
    assert body.json["status"] == "degraded"
    assert body.json["outbox"]["unsent"] == 2
    assert 3500 < body.json["outbox"]["oldest_unsent_seconds"] < 3700


def test_healthz_fails_when_the_queue_is_unreachable(tmp_path, make_instance):
    app = make_instance(
        tmp_path / "noqueue",
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
        JOBS_IMMEDIATE=False,
        # The rate limiter is one object for every app: it must not follow this one to Redis.
        RATELIMIT_STORAGE_URI="memory://",
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "error"
    assert response.json["database"] == "ok"
    assert response.json["queue"].startswith("error: ")


def test_healthz_fails_when_the_database_is_unreachable(tmp_path, make_instance):
    app = make_instance(
        tmp_path / "nodb", url=f"sqlite:///{tmp_path / 'missing' / 'forum.db'}", create=False
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "error"
    assert response.json["database"].startswith("error: OperationalError")


def test_every_response_carries_a_request_id(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


def test_a_page_from_the_page_cache_carries_its_own_request_id(client):
    first = client.get("/")
    second = client.get("/")
    assert second.headers.get("X-Page-Cache") == "hit"
    assert second.headers["X-Request-ID"] != first.headers["X-Request-ID"]


def test_a_well_formed_incoming_request_id_is_kept_and_a_bad_one_replaced(client):
    kept = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a:42"})
    assert kept.headers["X-Request-ID"] == "lb-7f3a:42"
    for bad in ("has spaces in it", "x" * 200, "<script>", "line\\nbreak"):
        replaced = client.get("/healthz", headers={"X-Request-ID": bad})
        assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["X-Request-ID"]), bad


def crashing_app(make_instance, folder, **config):
    app = make_instance(folder, **config)

    @app.get("/_test/crash")
    def crash():
        current_app.logger.info("about to fail", extra={"article": "beijing-signals"})
        raise RuntimeError("the disk is on fire")

    return app


def test_json_log_lines_carry_the_request_id_shown_on_the_error_page(
    tmp_path, make_instance, monkeypatch, capsys
):
    monkeypatch.setenv("FORUM_LOG_JSON", "1")
    app = crashing_app(make_instance, tmp_path / "json")
    capsys.readouterr()

    response = app.test_client().get("/_test/crash", headers={"X-Request-ID": "req-12345"})

    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "req-12345"
    assert "req-12345" in response.get_data(as_text=True)  # the reference to quote
    # (Alembic's handler from the instance's migration stamp writes plain copies: skipped.)
    err = capsys.readouterr().err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    ours = [line for line in lines if line["logger"] == "forum"]
    assert [line["message"] for line in ours] == [
        "about to fail",
        "Unhandled error on GET /_test/crash",
    ]
    assert all(line["request_id"] == "req-12345" for line in ours)
    assert ours[0]["article"] == "beijing-signals"
    assert "the disk is on fire" in ours[1]["exception"]


def test_plain_log_lines_carry_the_request_id_too(tmp_path, make_instance, capsys):
    app = crashing_app(make_instance, tmp_path / "text")
    capsys.readouterr()

    response = app.test_client().get("/_test/crash")

    request_id = response.headers["X-Request-ID"]
    assert f"<code>{request_id}</code>" in response.get_data(as_text=True)
    logged = [line for line in capsys.readouterr().err.splitlines() if " forum: " in line]
    assert logged and all(f"[{request_id}]" in line for line in logged)


def test_not_found_pages_show_the_reference_too(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.headers["X-Request-ID"] in response.get_data(as_text=True)
