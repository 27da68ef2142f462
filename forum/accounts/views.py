from __future__ import annotations

from flask import Blueprint

bp = Blueprint("accounts", __name__)


@bp.route("/auth/login", methods=["GET", "POST"])
def login():
    return "login"


@bp.route("/auth/register", methods=["GET", "POST"])
def register():
    return "register"


@bp.post("/auth/logout")
def logout():
    return "logout"


@bp.get("/users/<username>")
def show_profile(username):
    return username


@bp.route("/settings", methods=["GET", "POST"])
def edit_settings():
    return "settings"
