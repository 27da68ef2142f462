from __future__ import annotations

from flask import Blueprint

bp = Blueprint("groups", __name__)


@bp.get("/groups/")
def list_groups():
    return "groups"


@bp.get("/groups/<slug>")
def show_group(slug):
    return slug
