"""Log lines that say which request wrote them.

Every request gets an id: the caller's ``X-Request-ID`` when it is well formed (a reverse
proxy's id then follows the request through both logs), a new one otherwise. It goes back as
a response header, onto every log line written while the request runs, and onto error pages,
so a member's screenshot leads to the lines in the log.

``FORUM_LOG_JSON=1`` writes one JSON object per line, for log collectors; otherwise lines are
plain text. The handler sits on the root logger, so huey's, werkzeug's and our own lines all
carry the id.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request

HEADER = "X-Request-ID"
# Ids from outside are copied into logs and pages: short, and only characters that cannot
# break a log line or a header.
WELL_FORMED = re.compile(r"[A-Za-z0-9._:+=/-]{1,128}")
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
# Attributes every LogRecord has; anything else was passed with ``extra=`` and is kept.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request_id"}


def request_id() -> str | None:
    """The current request's id (made on first use), or None outside a request."""
    if not has_request_context():
        return None
    if "request_id" not in g:
        given = request.headers.get(HEADER, "")
        g.request_id = given if WELL_FORMED.fullmatch(given) else uuid.uuid4().hex
    return g.request_id


class RequestIdFilter(logging.Filter):
    """Puts ``request_id`` on every record ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id() or "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        entry.update({key: value for key, value in record.__dict__.items() if key not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (a test's capture, a redirect)."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self):
        return sys.stderr


def make_handler(as_json: bool) -> logging.Handler:
    handler = _StderrHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if as_json else logging.Formatter(TEXT_FORMAT))
    handler.forum_handler = True
    return handler


def configure_logging(as_json: bool) -> None:
    """Install the one handler on the root logger, replacing ours from an earlier app."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "forum_handler", False):
            root.removeHandler(handler)
    root.addHandler(make_handler(as_json))
    # Our own lines and the worker's (huey) at INFO; libraries keep Python's WARNING.
    for name in ("forum", "huey"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.INFO)


def _send_request_id(response):
    # Set, not defaulted: a page served from the page cache carries the id of the request
    # that rendered it.
    response.headers[HEADER] = request_id()
    return response


def wants_json(app: Flask) -> bool:
    return os.environ.get("FORUM_LOG_JSON", "") == "1" or bool(app.config.get("LOG_JSON"))


def init_app(app: Flask) -> None:
    from flask.logging import default_handler

    configure_logging(wants_json(app))
    # Flask's own handler would print the app's lines a second time, without the id.
    app.logger.removeHandler(default_handler)
    app.after_request(_send_request_id)
    app.jinja_env.globals["request_id"] = request_id
