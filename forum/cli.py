"""The ``forum`` command: Flask's commands plus one group per domain."""

from __future__ import annotations

from flask.cli import FlaskGroup

from forum.app import create_app

main = FlaskGroup(name="forum", create_app=create_app, help="Run and manage Forum.")
