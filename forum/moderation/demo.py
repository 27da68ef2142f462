"""The demo's moderation: newcomers whose posts wait for review, a flagged post, a post hidden
by readers' flags, a rejected one, a warning, a featured post, and the log they leave.

Everything goes through the services a reader and a moderator use. Loaded once: when the first
newcomer exists the demo's moderation is there already. Flushes; the command commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from forum.accounts import services as accounts
from forum.accounts.models import User
from forum.accounts.queries import find_user_by_email
from forum.articles.models import Article
from forum.discussions import services as discussions
from forum.discussions.queries import get_public_discussion
from forum.moderation import queries, services
from forum.moderation.policy import site_policy

# People who are not demo log-ins: their posts are what the moderators see in the queue.
NEWCOMER = ("nadia.newcomb@example.com", "Nadia Newcomb")
REGULAR = ("theo.trollope@example.com", "Theo Trollope")


def _account(email: str, name: str, now: datetime) -> User:
    # Nobody signs in as them, so the password is random and never shown.
    password = secrets.token_urlsafe(24)
    return accounts.create_user(None, email, name, password, verified=True, now=now)


def ensure_moderation_demo(
    people: dict[str, User], articles: Sequence[Article], now: datetime
) -> int:
    """Add the demo's moderation unless it is there; returns the posts it wrote."""
    if find_user_by_email(NEWCOMER[0]) is not None or len(articles) < 3:
        return 0
    moderator, reader, reader2 = people["moderator"], people["reader"], people["reader2"]
    first, second, third = (get_public_discussion(article) for article in articles[:3])
    clock = now - timedelta(hours=6)

    def later(minutes: int = 25) -> datetime:
        nonlocal clock
        clock += timedelta(minutes=minutes)
        return clock

    newcomer = _account(*NEWCOMER, now=later())
    regular = _account(*REGULAR, now=later())

    # Held: a newcomer's first post, and their second with a link.
    discussions.post_reply(
        newcomer, first, None,
        "First time posting here. Our town took in families after the floods two years ago, "
        "and the article matches what we saw: the help went where the cameras were.",
        later(),
    )  # fmt: skip
    discussions.post_reply(
        newcomer, second, None,
        "There is a clear map of the shipping routes at https://example.org/arctic-routes "
        "that helped me follow the second half of the article.",
        later(),
    )  # fmt: skip

    # Rejected with a reason (its author is warned below).
    rude = discussions.post_reply(
        regular, first, None,
        "Anyone who still believes the official numbers is a fool, and so is the author.",
        later(),
    )  # fmt: skip
    services.reject_post(moderator, rude, "Personal attacks on readers and on the author.", later())

    # Otherwise a member of long standing, whose posts are published at once.
    regular.approved_post_count = site_policy().new_user_posts

    # Flagged once: still published, in the Flagged tab with the reader's reason.
    offside = discussions.post_reply(
        regular, third, None,
        "Off the point, but has anyone seen the price of tickets for the match on Saturday?",
        later(),
    )  # fmt: skip
    services.flag_post(reader, offside, "off_topic", "", later())

    # Hidden by three readers' flags, waiting for a moderator to restore or reject it.
    heated = discussions.post_reply(
        regular, second, None,
        "The people who wrote this have clearly never set foot north of the Arctic Circle, "
        "and neither have the idiots agreeing with them.",
        later(),
    )  # fmt: skip
    for flagger in (reader, reader2, people["organiser"]):
        services.flag_post(flagger, heated, "abuse", "", later(5))

    # The warning comes last: until Theo acknowledges it he cannot post.
    services.warn_author(
        moderator, rude,
        "Please argue with the ideas, not the people: a second attack means a suspension.",
        later(),
    )  # fmt: skip

    # A featured post: the organiser's question that the group took up.
    best = queries.first_published_post(people["organiser"], first)
    if best is not None:
        services.feature_post(moderator, best, True, later())
    return 5
