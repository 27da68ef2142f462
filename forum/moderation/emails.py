"""Emails about moderation, sent after the commit that caused them."""

from __future__ import annotations

from flask import current_app

from forum.core.mail import send_email
from forum.discussions.models import Post


def send_rejection_notices(posts: list[Post]) -> None:
    """Tell each author why their post was rejected. A mail failure leaves the (already
    committed) decision in place, and the reason is on the author's profile anyway."""
    for post in posts:
        try:
            send_email(
                post.author.email,
                "moderation/post_rejected",
                post=post,
                user=post.author,
                article=post.discussion.article,
            )
        except Exception:
            current_app.logger.exception("could not send the rejection notice for post %s", post.id)
