from __future__ import annotations

from flask import Blueprint

bp = Blueprint("discussions", __name__)
