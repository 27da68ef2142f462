"""Reads of discussions, with visibility applied."""

from __future__ import annotations

from dataclasses import dataclass, field

from forum.accounts.models import User
from forum.core.pagination import Page
from forum.discussions.models import Discussion, Post

SORTS = ("oldest", "newest", "top")


@dataclass
class ThreadPage:
    """One page of a discussion: top-level posts with their replies nested under them."""

    page: Page
    sort: str
    roots: list[Post] = field(default_factory=list)


def posts_by_author(viewer, author: User, page: int) -> Page:
    """The author's posts the viewer may see, newest first, with their articles loaded."""
    raise NotImplementedError


def get_public_discussion(article) -> Discussion:
    raise NotImplementedError


def thread_page(viewer, discussion: Discussion, page: int, sort: str) -> ThreadPage:
    """The page'th page of top-level posts in ``sort`` order, each with its replies."""
    raise NotImplementedError
