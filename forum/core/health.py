"""/healthz: is this instance able to serve? (The database answers.)"""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from forum.extensions import csrf, db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@csrf.exempt
def show_health():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure means unhealthy
        db.session.rollback()
        return jsonify(status="error", database=str(error.__class__.__name__)), 503
    return jsonify(status="ok", database="ok")
