"""Every domain's models, imported so the metadata (and Alembic) sees the whole schema."""

from forum.accounts.models import User
from forum.articles.models import Article, Figure, Reading
from forum.discussions.models import Discussion, Follow, Post, PostRevision, Vote
from forum.groups.models import Group, Membership

__all__ = [
    "Article",
    "Discussion",
    "Figure",
    "Follow",
    "Group",
    "Membership",
    "Post",
    "PostRevision",
    "Reading",
    "User",
    "Vote",
]
