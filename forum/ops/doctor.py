"""``forum doctor``: is this instance set up to run for real, and if not, what to fix.

Each check gives a finding: ok, a warning (worth knowing, nothing broken) or a problem
(something people will notice: mail not sent, pages failing, sessions lost). Problems make the
command exit non-zero, so deploy scripts and monitoring can run it.
"""

from __future__ import annotations

import enum
import os
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from alembic.migration import MigrationContext
from flask import Flask

from forum.core.db import utc_now
from forum.extensions import db
from forum.ops import status
from forum.ops.restore import migration_scripts
from forum.ops.schedule import backup_dir, backups

# Secret keys that are examples, not secrets.
PLACEHOLDER_KEYS = {"dev", "secret", "changeme", "change-me", "test-secret", "development"}
MIN_KEY_LENGTH = 32
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


class Level(enum.StrEnum):
    OK = "ok"
    WARNING = "warning"
    PROBLEM = "PROBLEM"


@dataclass
class Finding:
    check: str
    level: Level
    message: str
    fix: str = ""


def is_development(app: Flask) -> bool:
    """Served only to this machine (FORUM_BASE_URL on loopback), or in debug mode."""
    host = urlsplit(app.config.get("BASE_URL", "")).hostname or ""
    return app.debug or host in LOOPBACK


def check_secret_key(app: Flask) -> Finding:
    key = str(app.config.get("SECRET_KEY") or "")
    if is_development(app):
        return Finding("secret key", Level.OK, "development (FORUM_BASE_URL is this machine)")
    if key.lower() in PLACEHOLDER_KEYS or len(key) < MIN_KEY_LENGTH:
        return Finding(
            "secret key",
            Level.PROBLEM,
            f"the secret key is {'a placeholder' if key.lower() in PLACEHOLDER_KEYS else 'short'}"
            f" ({len(key)} characters): anyone who guesses it can forge sessions",
            "set FORUM_SECRET_KEY to a long random string, e.g. "
            '`python3 -c "import secrets; print(secrets.token_hex(32))"`, the same on every '
            "instance",
        )
    generated = Path(app.instance_path) / "secret_key"
    from_file = generated.is_file() and generated.read_text().strip() == key
    if from_file and not os.environ.get("FORUM_SECRET_KEY"):
        return Finding(
            "secret key",
            Level.WARNING,
            f"generated into {generated}: fine on one machine, but several instances would "
            "each have their own",
            "with more than one instance, set FORUM_SECRET_KEY to that file's content on all",
        )
    return Finding("secret key", Level.OK, "set")


def check_database() -> Finding:
    error = status.check_database()
    if error:
        return Finding(
            "database",
            Level.PROBLEM,
            f"cannot reach the database ({error})",
            "check FORUM_DATABASE_URL and that the database server is running",
        )
    return Finding("database", Level.OK, f"reachable ({db.engine.url.get_backend_name()})")


def check_migrations(app: Flask) -> Finding:
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    heads = set(migration_scripts(app).get_heads())
    if current == heads:
        return Finding("migrations", Level.OK, f"current ({', '.join(sorted(heads))})")
    if not current:
        return Finding(
            "migrations",
            Level.PROBLEM,
            "the database has no migration revision: it was never created by the migrations",
            "run `forum db upgrade` (on a database made otherwise, `forum db stamp head` "
            "once its tables match)",
        )
    unknown = current - {script.revision for script in migration_scripts(app).walk_revisions()}
    if unknown:
        return Finding(
            "migrations",
            Level.PROBLEM,
            f"the database is at {', '.join(sorted(unknown))}, which this release does not "
            "know: it was upgraded by a newer Forum",
            "install the newer release (or restore a backup made with this one)",
        )
    return Finding(
        "migrations",
        Level.PROBLEM,
        f"the database is at {', '.join(sorted(current))}; this release needs "
        f"{', '.join(sorted(heads))}",
        "run `forum db upgrade`, then restart the site and the worker",
    )


def _smtp_probe(app: Flask) -> None:
    config = app.config
    host, port = config["MAIL_SERVER"], int(config["MAIL_PORT"])
    timeout = min(int(config.get("MAIL_TIMEOUT") or 10), 10)
    if config.get("MAIL_USE_SSL"):
        server = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        server = smtplib.SMTP(host, port, timeout=timeout)
    try:
        server.ehlo()
        if config.get("MAIL_USE_TLS"):
            server.starttls(context=ssl.create_default_context())
            server.ehlo()
        if config.get("MAIL_USERNAME"):
            server.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
    finally:
        try:
            server.quit()
        except smtplib.SMTPException:
            server.close()


def check_mail(app: Flask) -> Finding:
    backend = app.config.get("MAIL_BACKEND")
    if backend == "smtp":
        where = f"{app.config['MAIL_SERVER']}:{app.config['MAIL_PORT']}"
        try:
            _smtp_probe(app)
        except smtplib.SMTPAuthenticationError:
            return Finding(
                "mail",
                Level.PROBLEM,
                f"the SMTP server at {where} refuses the user name and password",
                "correct the user and password in FORUM_MAIL_URL",
            )
        except (OSError, smtplib.SMTPException) as error:
            return Finding(
                "mail",
                Level.PROBLEM,
                f"cannot reach the SMTP server at {where} ({status.error_name(error)})",
                "check the host and port in FORUM_MAIL_URL (smtp://user:pass@host:587"
                "?starttls=1) and that this machine may connect to it",
            )
        return Finding("mail", Level.OK, f"the SMTP server at {where} accepts us")
    if backend == "file":
        folder = Path(app.config["MAIL_FILE_PATH"])
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / ".doctor-probe"
            probe.write_text("")
            probe.unlink()
        except OSError as error:
            return Finding(
                "mail",
                Level.PROBLEM,
                f"cannot write email files into {folder} ({status.error_name(error)})",
                "make the folder writable, or set FORUM_MAIL_URL to another",
            )
        level = Level.OK if is_development(app) else Level.WARNING
        return Finding(
            "mail",
            level,
            f"written as files into {folder}, not sent",
            "" if level is Level.OK else "set FORUM_MAIL_URL to your SMTP server",
        )
    level = Level.OK if is_development(app) else Level.PROBLEM
    return Finding(
        "mail",
        level,
        f"the {backend} backend sends nothing to anyone",
        "" if level is Level.OK else "set FORUM_MAIL_URL to your SMTP server",
    )


def check_queue(app: Flask) -> Finding:
    error = status.check_queue(app)
    if error:
        return Finding(
            "job queue",
            Level.PROBLEM,
            f"cannot reach the job queue ({error})",
            "check FORUM_REDIS_URL and that Redis is running"
            if app.config.get("REDIS_URL")
            else f"check that {app.instance_path} is writable",
        )
    return Finding("job queue", Level.OK, "reachable")


def _ago(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 2:
        return f"{int(seconds)} seconds ago"
    if minutes < 120:
        return f"{minutes} minutes ago"
    return f"{minutes // 60} hours ago"


def check_worker(app: Flask, now: datetime) -> Finding:
    fix = "start `forum worker` (it sends email and digests), e.g. as a systemd service"
    try:
        beat = status.last_heartbeat(app)
    except Exception as error:  # noqa: BLE001 - the queue check reports the cause
        return Finding("worker", Level.PROBLEM, f"unknown ({status.error_name(error)})", fix)
    if beat is None:
        return Finding("worker", Level.PROBLEM, "no worker has ever run here", fix)
    moment, who = beat
    age = (now - moment).total_seconds()
    max_age = app.config.get("HEARTBEAT_MAX_AGE_SECONDS", status.HEARTBEAT_MAX_AGE_SECONDS)
    if age > max_age:
        return Finding(
            "worker", Level.PROBLEM, f"last seen {_ago(age)} ({who}): it has stopped", fix
        )
    return Finding("worker", Level.OK, f"alive, last seen {_ago(age)} ({who})")


def check_outbox(app: Flask, now: datetime) -> Finding:
    backlog = status.outbox_backlog()
    age = backlog.age_seconds(now)
    max_age = app.config.get("OUTBOX_MAX_AGE_SECONDS", status.OUTBOX_MAX_AGE_SECONDS)
    if age is not None and age > max_age:
        return Finding(
            "outbox",
            Level.PROBLEM,
            f"{backlog.unsent} email(s) unsent, the oldest queued {_ago(age)}",
            "check the worker and the mail findings; `forum mail send` sends them by hand",
        )
    return Finding("outbox", Level.OK, f"{backlog.unsent} email(s) waiting")


def check_backups(app: Flask, now: datetime) -> Finding:
    every = float(app.config.get("BACKUP_EVERY_HOURS") or 0)
    if every <= 0:
        return Finding(
            "backups",
            Level.WARNING,
            "no scheduled backups",
            "set BACKUP_EVERY_HOURS (e.g. 24) in forum.cfg, or run `forum backup` from cron",
        )
    found = backups(backup_dir(app))
    if not found:
        return Finding(
            "backups",
            Level.WARNING,
            f"scheduled every {every:g} hours, none in {backup_dir(app)} yet",
            "the worker makes them; check that it runs",
        )
    age = (now - found[0][0]).total_seconds()
    if age > 2 * every * 3600:
        return Finding(
            "backups",
            Level.PROBLEM,
            f"the newest backup is from {_ago(age)}, although due every {every:g} hours",
            "check the worker's log for backup errors",
        )
    return Finding("backups", Level.OK, f"the newest is from {_ago(age)}")


def diagnose(app: Flask, now: datetime | None = None) -> list[Finding]:
    """Every check, in the order an operator would fix things. Run inside an app context."""
    now = now or utc_now()
    findings = [check_secret_key(app), check_database()]
    schema_ok = findings[-1].level is Level.OK
    if schema_ok:
        findings.append(check_migrations(app))
        schema_ok = findings[-1].level is Level.OK
    findings.append(check_mail(app))
    findings.append(check_queue(app))
    if findings[-1].level is Level.OK:
        findings.append(check_worker(app, now))
    if schema_ok:
        findings.append(check_outbox(app, now))
    findings.append(check_backups(app, now))
    return findings
