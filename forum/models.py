"""Every domain's models, imported so the metadata (and Alembic) sees the whole schema."""

from forum.accounts.models import User
from forum.articles.models import Article, Figure, Reading
from forum.discussions.models import Discussion, Follow, Post, PostRevision, Vote
from forum.groups.models import Group, GroupSession, Membership, Rsvp, SessionReading
from forum.moderation.models import AuditEntry, Flag, Penalty, Policy

__all__ = [
    "Article",
    "AuditEntry",
    "Discussion",
    "Figure",
    "Flag",
    "Follow",
    "Group",
    "GroupSession",
    "Membership",
    "Penalty",
    "Policy",
    "Post",
    "PostRevision",
    "Reading",
    "Rsvp",
    "SessionReading",
    "User",
    "Vote",
]
