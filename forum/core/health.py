"""/healthz: is this instance able to serve?

200 when the database and the job queue answer; 503 when either does not, so a load balancer
takes the instance out. Mail piling up in the outbox (the worker stopped or the mail server
refuses) is reported as "degraded" with a 200: every instance would say the same, and taking
them all out would not send one email more.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from forum.core.db import utc_now
from forum.extensions import csrf
from forum.ops import status

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@csrf.exempt
def show_health():
    app = current_app._get_current_object()
    database_error = status.check_database()
    queue_error = status.check_queue(app)
    body = {
        "status": "ok",
        "database": f"error: {database_error}" if database_error else "ok",
        "queue": f"error: {queue_error}" if queue_error else "ok",
    }
    if not database_error:
        backlog = status.outbox_backlog()
        age = backlog.age_seconds(utc_now())
        body["outbox"] = {"unsent": backlog.unsent, "oldest_unsent_seconds": age}
        max_age = app.config.get("OUTBOX_MAX_AGE_SECONDS", status.OUTBOX_MAX_AGE_SECONDS)
        if age is not None and age > max_age:
            body["status"] = "degraded"
    if database_error or queue_error:
        body["status"] = "error"
        return jsonify(body), 503
    return jsonify(body)
