"""Reads of discussions, with visibility applied."""

from __future__ import annotations

from forum.accounts.models import User
from forum.core.pagination import Page


def posts_by_author(viewer, author: User, page: int) -> Page:
    """The author's posts the viewer may see, newest first, with their articles loaded."""
    raise NotImplementedError
