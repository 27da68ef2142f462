"""The API (/api/v1), its personal tokens, and outgoing webhooks."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """JSON errors for every address under /api, and the webhooks' listeners."""
    from forum.api import errors, models, webhooks  # noqa: F401 - models: the schema

    errors.init_app(app)
    webhooks.init_app(app)
