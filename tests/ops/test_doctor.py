"""`forum doctor` names what is wrong with an instance and how to fix it."""

from __future__ import annotations

import secrets
import socket
from datetime import timedelta

import flask_migrate
import pytest
from aiosmtpd.controller import Controller

from forum.core.db import utc_now
from forum.notifications.jobs import TASKS, get_huey
from forum.ops import status
from forum.ops.restore import migration_scripts
from tests.ops.conftest import run_command

PRODUCTION = "https://forum.example.org"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Accepting:
    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        return "250 OK"


@pytest.fixture
def smtp_url():
    port = free_port()
    controller = Controller(Accepting(), hostname="127.0.0.1", port=port)
    controller.start()
    yield f"smtp://127.0.0.1:{port}"
    controller.stop()


def lines_about(output: str, check: str) -> str:
    """The finding's line and its fix line."""
    lines = output.splitlines()
    for index, line in enumerate(lines):
        if line.split()[1:2] == check.split()[:1] and check in line:
            following = lines[index + 1] if index + 1 < len(lines) else ""
            return line + "\n" + (following if "fix:" in following else "")
    raise AssertionError(f"no finding about {check!r} in:\n{output}")


def test_doctor_on_a_broken_configuration_says_what_to_fix(tmp_path, make_instance):
    closed_port = free_port()  # nothing listens there
    app = make_instance(
        tmp_path / "broken",
        create=False,
        BASE_URL=PRODUCTION,
        SECRET_KEY="dev",
        MAIL_URL=f"smtp://127.0.0.1:{closed_port}",
        JOBS_IMMEDIATE=False,
    )
    with app.app_context():
        from forum.extensions import db

        db.create_all()  # tables, but never migrated: no revision

    result = run_command(app, "doctor")

    assert result.exit_code == 1
    output = result.output
    secret = lines_about(output, "secret key")
    assert secret.startswith("PROBLEM") and "placeholder" in secret
    assert "FORUM_SECRET_KEY" in secret
    migrations = lines_about(output, "migrations")
    assert migrations.startswith("PROBLEM") and "forum db upgrade" in migrations
    mail = lines_about(output, "mail")
    assert mail.startswith("PROBLEM") and f"127.0.0.1:{closed_port}" in mail
    assert "FORUM_MAIL_URL" in mail
    worker = lines_about(output, "worker")
    assert (
        worker.startswith("PROBLEM")
        and "no worker has ever run" in worker
        and "forum worker" in worker
    )
    assert lines_about(output, "database").startswith("ok")
    assert "problem(s) to fix" in output


def test_doctor_on_a_sound_instance_finds_nothing_wrong(tmp_path, make_instance, smtp_url):
    folder = tmp_path / "sound"
    app = make_instance(
        folder,
        BASE_URL=PRODUCTION,
        SECRET_KEY=secrets.token_hex(32),
        MAIL_URL=smtp_url,
        JOBS_IMMEDIATE=False,
        BACKUP_EVERY_HOURS=24,
        BACKUP_DIR=str(tmp_path / "backups"),
    )
    (tmp_path / "backups").mkdir()
    with app.app_context():
        get_huey(app)
        # What the worker's periodic task does every minute, through the queue's own storage.
        app.extensions[TASKS]["heartbeat"].call_local()
    assert run_command(app, "backup", str(tmp_path / "backups")).exit_code == 0

    result = run_command(app, "doctor")

    assert result.exit_code == 0, result.output
    assert "PROBLEM" not in result.output
    assert "alive, last seen" in lines_about(result.output, "worker")
    assert "accepts us" in lines_about(result.output, "mail")
    assert "No problems found." in result.output


def test_doctor_notices_a_stopped_worker_and_an_old_schema(tmp_path, make_instance):
    app = make_instance(tmp_path / "stale", JOBS_IMMEDIATE=False)
    with app.app_context():
        status.record_heartbeat(app, now=utc_now() - timedelta(hours=2))
        scripts = migration_scripts(app)
        # (Several heads while branches are merged: any one of them, one step back.)
        head = scripts.get_revision(sorted(scripts.get_heads())[0])
        flask_migrate.stamp(revision=head.down_revision)

    result = run_command(app, "doctor")

    assert result.exit_code == 1
    worker = lines_about(result.output, "worker")
    assert "last seen 2 hours ago" in worker and "stopped" in worker
    migrations = lines_about(result.output, "migrations")
    assert "this release needs" in migrations and head.revision in migrations
    assert "run `forum db upgrade`, then restart" in migrations
