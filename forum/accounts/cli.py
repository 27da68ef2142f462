from __future__ import annotations

from flask.cli import AppGroup

users = AppGroup("users", help="Create and manage accounts.")
