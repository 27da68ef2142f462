"""Notifications on the site and by email, digests, the outbox's worker and its status page."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from forum.notifications import jobs, models, queries, signals  # noqa: F401 - the schema

    jobs.init_app(app)
    signals.connect()

    from forum.accounts.queries import read_with_session_user

    read_with_session_user(queries.UNREAD_READ, queries.unread_columns)

    def unread_notifications() -> int:
        from flask_login import current_user

        if not getattr(current_user, "is_authenticated", False):
            return 0
        return queries.unread_count(current_user)

    app.jinja_env.globals["unread_notifications"] = unread_notifications
