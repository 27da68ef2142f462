"""The job queue (huey) and its tasks: sending the outbox, the digests and session reminders
that are due, ballot notices, moderators' queue alerts, and telling followers of new posts.

Storage is a SQLite file in the instance folder by default and Redis when FORUM_REDIS_URL is
set, so M workers on several machines share one queue. Under TESTING (or JOBS_IMMEDIATE) tasks
run at once in the process that enqueues them, which sends mail as soon as its transaction
commits. The periodic tasks are the safety net: whatever a wake-up missed, the next minute
sends.
"""

from __future__ import annotations

import functools
from pathlib import Path

from flask import Flask
from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.storage import SqliteStorage

from forum.core import mail
from forum.core.db import utc_now
from forum.extensions import db
from forum.ops import jobs as ops_jobs

EXTENSION = "forum.huey"
TASKS = "forum.huey-tasks"


def get_huey(app: Flask) -> Huey:
    """The app's queue, made on first use (nothing is created at import time)."""
    huey = app.extensions.get(EXTENSION)
    if huey is None:
        huey = make_huey(app)
        app.extensions[EXTENSION] = huey
    return huey


class _SqliteQueue(SqliteStorage):
    """Huey's SQLite queue with the app database's durability (WAL, synchronous=NORMAL):
    SQLite's default waits for the disk on every task queued, about 8 ms of each reply (the
    reply queues its announcement). The queue is then exactly as durable as the rows its
    tasks refer to."""

    def _create_connection(self):
        connection = super()._create_connection()
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection


def make_huey(app: Flask) -> Huey:
    immediate = bool(app.config.get("JOBS_IMMEDIATE", app.testing))
    redis_url = app.config.get("REDIS_URL")
    if redis_url:
        huey = RedisHuey("forum", url=redis_url, results=False, immediate=immediate)
    else:
        path = Path(app.instance_path) / "jobs.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        huey = SqliteHuey(
            "forum",
            storage_class=_SqliteQueue,
            filename=str(path),
            results=False,
            immediate=immediate,
        )
    _register_tasks(app, huey)
    return huey


def _in_app(app: Flask, function):
    """Run a task inside the app, with a database session of its own."""

    @functools.wraps(function)
    def run(*args, **kwargs):
        with app.app_context():
            try:
                return function(*args, **kwargs)
            finally:
                db.session.remove()

    return run


def send_outbox() -> mail.SendReport:
    """Send everything due; a full batch means more is waiting, so go on."""
    report = mail.send_due()
    while report.attempted and report.retrying == 0 and report.failed == 0:
        report = mail.send_due()
    return report


def send_digests() -> int:
    from forum.notifications.digests import send_due_digests

    return len(send_due_digests())


def send_reminders() -> int:
    """The day-before session reminders that are due (each person and session once)."""
    from forum.groups.services import queue_reminders

    queued = queue_reminders(utc_now())
    db.session.commit()
    return queued


def send_alerts() -> int:
    """Ballots opening or closing soon, and moderators' queue alerts (each once)."""
    from forum.notifications.services import notify_ballots, send_queue_alerts

    now = utc_now()
    made = len(notify_ballots(now)) + len(send_queue_alerts(now))
    db.session.commit()
    return made


def notify_post(post_id: int) -> int:
    """Tell the people who hear of a published post (its parent's author, those it mentions,
    the discussion's followers), out of the request that posted it: a discussion with
    thousands of followers costs the worker, not the person replying. Safe to run twice:
    nobody is told twice of one post."""
    from forum.discussions.models import Post
    from forum.notifications.services import notify_post_published

    post = db.session.get(Post, post_id)
    if post is None:
        return 0
    made = notify_post_published(post)
    db.session.commit()
    return len(made)


def queue_post_notifications(app: Flask, post_ids: list[int]) -> None:
    """Queue ``notify_post`` for posts whose transaction has committed (run at once under
    TESTING or JOBS_IMMEDIATE)."""
    get_huey(app)
    task = app.extensions[TASKS]["notify_post"]
    for post_id in post_ids:
        task(post_id)


def send_webhooks() -> int:
    from forum.api.webhooks import send_due

    return send_due().attempted


def poll_feeds() -> int:
    """The followed feeds that are due, each polled and imported in its own transaction."""
    from forum.articles.feeds import poll_due_feeds

    return len(poll_due_feeds())


def _register_tasks(app: Flask, huey: Huey) -> None:
    from forum.admin import jobs as admin_jobs

    app.extensions[TASKS] = {
        "send_outbox": huey.task(name="send_outbox")(_in_app(app, send_outbox)),
        "sweep_outbox": huey.periodic_task(crontab(minute="*"), name="sweep_outbox")(
            _in_app(app, send_outbox)
        ),
        "send_digests": huey.periodic_task(crontab(minute="*/5"), name="send_digests")(
            _in_app(app, send_digests)
        ),
        "housekeeping": huey.periodic_task(crontab(minute="17"), name="housekeeping")(
            _in_app(app, admin_jobs.housekeeping)
        ),
        "poll_feeds": huey.periodic_task(crontab(minute="*/5"), name="poll_feeds")(
            _in_app(app, poll_feeds)
        ),
        "send_webhooks": huey.task(name="send_webhooks")(_in_app(app, send_webhooks)),
        # Retried: a worker that meets a locked database tries again rather than lose them.
        "notify_post": huey.task(name="notify_post", retries=3, retry_delay=10)(
            _in_app(app, notify_post)
        ),
        "sweep_webhooks": huey.periodic_task(crontab(minute="*"), name="sweep_webhooks")(
            _in_app(app, send_webhooks)
        ),
        "send_reminders": huey.periodic_task(crontab(minute="*/5"), name="send_reminders")(
            _in_app(app, send_reminders)
        ),
        "send_alerts": huey.periodic_task(crontab(minute="*/5"), name="send_alerts")(
            _in_app(app, send_alerts)
        ),
    }
    app.extensions[TASKS].update(
        ops_jobs.register_tasks(app, huey, functools.partial(_in_app, app))
    )


def wake_sender(app: Flask) -> None:
    """After a commit that queued mail: one task wakes a worker instead of waiting a minute."""
    get_huey(app)
    app.extensions[TASKS]["send_outbox"]()


def init_app(app: Flask) -> None:
    app.extensions[mail.WAKE_SENDER] = functools.partial(wake_sender, app)
