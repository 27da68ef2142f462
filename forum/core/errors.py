"""Domain errors. They subclass HTTP errors so an uncaught one still becomes the right page."""

from __future__ import annotations

from werkzeug.exceptions import BadRequest, Forbidden, NotFound


class PermissionDenied(Forbidden):
    """Raised by ``require_*`` permission checks."""


class NotVisible(NotFound):
    """Raised by queries for what the viewer must not know exists."""


class ValidationFailed(BadRequest):
    """A rule of the domain refused the input; ``field`` names the form field it belongs to."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field
        self.message = message
