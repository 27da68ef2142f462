"""The worker's operational tasks: its heartbeat (for /healthz and ``forum doctor``) and the
scheduled backups. Registered by forum.notifications.jobs beside the mail tasks."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import Flask
from huey import Huey, crontab

from forum.ops import status
from forum.ops.schedule import run_scheduled_backup


def register_tasks(app: Flask, huey: Huey, in_app: Callable) -> dict:
    """Add the tasks to ``huey``; ``in_app`` wraps a function to run inside the app."""
    beat = in_app(functools.partial(status.record_heartbeat, app))
    # A worker that has just started is alive before its first periodic minute comes round.
    huey.on_startup(name="forum_heartbeat")(beat)
    return {
        "heartbeat": huey.periodic_task(crontab(minute="*"), name="heartbeat")(beat),
        "scheduled_backup": huey.periodic_task(crontab(minute="*/10"), name="scheduled_backup")(
            in_app(functools.partial(run_scheduled_backup, app))
        ),
    }
