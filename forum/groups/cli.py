from __future__ import annotations

from flask.cli import AppGroup

groups = AppGroup("groups", help="Manage discussion groups and their members.")
