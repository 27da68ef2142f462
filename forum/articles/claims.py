"""Claiming the accounts a WordPress import made for blog commenters.

An imported comment's author gets an unclaimed account: it holds a placeholder address and no
usable password, and ``unclaimed_accounts`` keeps the address the commenter gave the blog.
Whoever proves they own that address (by verifying it on registration, or by changing their
account's address to it) takes the comments over: the posts move to their account and the
unclaimed account goes. accounts.services calls ``claim_unclaimed_accounts`` at both points.
"""

from __future__ import annotations

from sqlalchemy import select, update

from forum.accounts.models import User
from forum.articles.models import UnclaimedAccount
from forum.discussions.models import Post, PostRevision
from forum.extensions import db
from forum.moderation.models import Penalty


def claim_unclaimed_accounts(user: User) -> int:
    """Give ``user`` (whose address is now verified) the posts of the unclaimed accounts made
    for that address; returns how many accounts were taken over. Flushes; the caller commits."""
    if not user.is_verified:
        return 0
    unclaimed = list(
        db.session.scalars(
            select(UnclaimedAccount).where(UnclaimedAccount.email == user.email.strip().lower())
        )
    )
    for row in unclaimed:
        old_id = row.user_id
        db.session.execute(update(Post).where(Post.author_id == old_id).values(author_id=user.id))
        # A ban or suspension a moderator gave the commenter follows the comments.
        db.session.execute(update(Penalty).where(Penalty.user_id == old_id).values(user_id=user.id))
        db.session.execute(
            update(PostRevision).where(PostRevision.editor_id == old_id).values(editor_id=user.id)
        )
        db.session.delete(db.session.get(User, old_id))
    db.session.flush()
    # Posts already loaded in this session still name the old author.
    db.session.expire_all()
    return len(unclaimed)
