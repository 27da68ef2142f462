"""Opaque cursors: the API's pages are addressed by a signed token, not by numbers a client
builds. Behind it is the page number the domains' queries paginate by, so the API walks the
same pages, in the same order and with the same visibility, as the site."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from forum.core.errors import ValidationFailed
from forum.core.pagination import Page

SALT = "forum.api.cursor"
MAX_PAGE = 1_000_000


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def page_number(cursor: str | None) -> int:
    """The page a cursor points to; no cursor is the first page."""
    if not cursor:
        return 1
    try:
        data = _serializer().loads(cursor)
        number = int(data["p"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise ValidationFailed(
            "cursor", "This cursor is not one of ours: pass next_cursor back as it was given."
        ) from None
    if not 1 <= number <= MAX_PAGE:
        raise ValidationFailed("cursor", "This cursor is out of range.")
    return number


def next_cursor(page: Page, last: int = MAX_PAGE) -> str | None:
    if not page.has_next or page.number >= last:
        return None
    return _serializer().dumps({"p": page.number + 1})
