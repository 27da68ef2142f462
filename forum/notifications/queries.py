"""Reads for notifications, the mail status page and digests.

Digest content is read for a whole chunk of people at once: a handful of queries however
many people the chunk holds, then each person's share is picked out in Python.
"""

from __future__ import annotations

import html
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import quote

import nh3
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from forum.accounts.models import DigestFrequency, User
from forum.accounts.queries import NOT_READ, session_user_read
from forum.articles.models import Article
from forum.core.errors import NotVisible
from forum.core.mail import OutboxMessage, OutboxState
from forum.core.pagination import Page, paginate
from forum.core.timefmt import spoken_time
from forum.discussions.models import Discussion, Follow, Post, PostState
from forum.discussions.permissions import can_view_discussion
from forum.extensions import db
from forum.groups.models import (
    Ballot,
    GroupSession,
    MemberRole,
    Membership,
    MemberState,
    Rsvp,
    SessionReading,
    SessionStatus,
)
from forum.groups.queries import ballots_awaiting_votes
from forum.moderation.models import Flag
from forum.moderation.permissions import GROUP_MODERATOR_ROLES, is_site_moderator
from forum.notifications.models import Kind, Notification

EXCERPT_LENGTH = 220
# How far ahead a digest lists the person's groups' sessions.
UPCOMING = timedelta(days=7)
# Ballots closing before the next digest, and a day to spare, are "closing soon".
BALLOT_HORIZONS = {DigestFrequency.WEEKLY: timedelta(days=8)}
BALLOT_HORIZON = timedelta(days=2)


def _ballot_horizon(user: User) -> timedelta:
    return BALLOT_HORIZONS.get(user.digest_frequency, BALLOT_HORIZON)


POSTS_PER_SECTION = 5


def discussion_title(discussion: Discussion | None) -> str:
    """What a discussion is about: its article, or its group session."""
    if discussion is None:
        return "a discussion"
    if discussion.article is not None:
        return discussion.article.title
    if discussion.session is not None:
        return discussion.session.title
    return "a discussion"


def discussion_path(discussion: Discussion) -> str:
    """The discussion's page on the site (the stable URLs of DESIGN.md)."""
    if discussion.article is not None:
        return f"/articles/{discussion.article.slug}"
    if discussion.session is not None and discussion.group is not None:
        return f"/groups/{discussion.group.slug}/sessions/{discussion.session.id}"
    return "/"


# On-site notifications --------------------------------------------------------------------


def _unread(user_id):
    """How many unread notifications ``user_id`` has: a number, or ``User.id`` when read with
    the signed-in person's row."""
    return (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .correlate_except(Notification)
    )


# Every page's badge: read with the signed-in person's row when their session loads it.
UNREAD_READ = "notifications.unread"


def unread_columns() -> list:
    """The badge's count as a column of the signed-in person's row (``read_with_session_user``)."""
    return [_unread(User.id).scalar_subquery().label("unread")]


def unread_count(user) -> int:
    read = session_user_read(user, UNREAD_READ)
    if read is not NOT_READ:
        return read[0]
    return db.session.scalar(_unread(user.id))


def notifications_for(user, page: int) -> Page:
    statement = (
        select(Notification)
        .where(Notification.user_id == user.id)
        .options(
            joinedload(Notification.actor),
            joinedload(Notification.post)
            .joinedload(Post.discussion)
            .options(joinedload(Discussion.article), joinedload(Discussion.session)),
            joinedload(Notification.group),
            joinedload(Notification.session),
        )
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    return paginate(statement, page, per_page=current_app.config["POSTS_PER_PAGE"])


def notification_path(note: Notification) -> str | None:
    """Where a notification leads on the site: its post, session, group or queue."""
    if note.post_id is not None:
        return f"/posts/{note.post_id}"
    if note.kind == Kind.QUEUE_GROWN:
        return "/moderation/"
    if note.group is None:
        return None
    group_path = f"/groups/{quote(note.group.slug)}"
    if note.session_id is not None:
        session_path = f"{group_path}/sessions/{note.session_id}"
        if note.kind in (Kind.BALLOT_OPENED, Kind.BALLOT_CLOSING):
            return f"{session_path}/ballot"
        return session_path
    if note.kind == Kind.JOIN_REQUEST:
        return f"{group_path}/members"
    return group_path


# The outbox -------------------------------------------------------------------------------


def outbox_counts() -> dict[str, int]:
    rows = db.session.execute(
        select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
    ).all()
    counts = {state.value: 0 for state in OutboxState}
    counts.update({state.value: count for state, count in rows})
    return counts


def outbox_messages(page: int, state: str | None = None) -> Page:
    statement = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if state in {s.value for s in OutboxState}:
        statement = statement.where(OutboxMessage.state == OutboxState(state))
    return paginate(statement, page, per_page=50)


def get_outbox_message(message_id: int) -> OutboxMessage:
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise NotVisible(_("There is no such message."))
    return message


# Digests ----------------------------------------------------------------------------------


def excerpt(body_html: str, length: int = EXCERPT_LENGTH) -> str:
    text = html.unescape(nh3.clean(body_html, tags=set()))
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= length:
        return text
    return text[:length].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


@dataclass
class DigestPost:
    id: int
    author: str
    excerpt: str
    score: int
    created_at: datetime


@dataclass
class DigestSection:
    """New posts in one discussion: an article's, or a group's own on that article."""

    title: str
    path: str
    group_name: str | None
    posts: list[DigestPost] = field(default_factory=list)
    more: int = 0


@dataclass
class DigestReading:
    title: str
    slug: str


@dataclass
class DigestSession:
    """A session of one of the person's groups in the coming week, and their answer."""

    title: str
    group_name: str
    path: str
    starts_at: datetime
    when: str  # lazy: written in the reader's language when the digest is rendered
    place: str
    # "going", "maybe", "declined", "waitlisted", or None when they have not answered.
    rsvp: str | None
    readings: list[DigestReading] = field(default_factory=list)


@dataclass
class DigestBallot:
    """An open ballot the person may answer and has not, closing before long."""

    title: str
    group_name: str
    path: str
    closes_at: datetime
    closes: str


@dataclass
class DigestContent:
    sections: list[DigestSection] = field(default_factory=list)
    replies: list[DigestPost] = field(default_factory=list)
    articles: list[Article] = field(default_factory=list)
    # What is coming rather than what is new: carried along, never a reason to send alone.
    sessions: list[DigestSession] = field(default_factory=list)
    ballots: list[DigestBallot] = field(default_factory=list)
    # Moderators: held and flagged posts waiting in their queue (None for everyone else).
    queue_size: int | None = None

    @property
    def item_count(self) -> int:
        return (
            sum(len(s.posts) + s.more for s in self.sections)
            + len(self.replies)
            + len(self.articles)
        )


@dataclass(frozen=True)
class Window:
    user: User
    start: datetime
    end: datetime

    def holds(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


# The columns of a post a digest uses, read as plain rows: a chunk reads tens of thousands.
POST_COLUMNS = (
    Post.id,
    Post.discussion_id,
    Post.author_id,
    Post.created_at,
    Post.score,
    Post.body_html,
)


def _best_first(post) -> tuple:
    return (-post.score, post.created_at, post.id)


class _Excerpts:
    """Each post's digest entry made once per chunk, however many digests show it."""

    def __init__(self, authors: dict[int, str]):
        self.authors = authors
        self.made: dict[int, DigestPost] = {}

    def __call__(self, post) -> DigestPost:
        found = self.made.get(post.id)
        if found is None:
            found = self.made[post.id] = DigestPost(
                id=post.id,
                author=self.authors.get(post.author_id, "Someone"),
                excerpt=excerpt(post.body_html),
                score=post.score,
                created_at=post.created_at,
            )
        return found


@dataclass
class _Shown:
    posts: list  # best first
    ids: set[int]
    by_author: dict[int, int]


class _WindowedPosts:
    """A discussion's new posts within a window, picked out once for everyone whose digest
    covers the same window (in a morning's run, nearly everyone): 10,000 people following
    five discussions of a hundred new posts each is 5,000,000 comparisons otherwise."""

    def __init__(self, posts_by_discussion: dict[int, list]):
        self.posts_by_discussion = posts_by_discussion
        self.made: dict[tuple, _Shown] = {}

    def __call__(self, discussion_id: int, window: Window) -> _Shown:
        key = (discussion_id, window.start, window.end)
        found = self.made.get(key)
        if found is None:
            posts = [
                p
                for p in self.posts_by_discussion.get(discussion_id, [])
                if window.start <= p.created_at < window.end
            ]
            found = self.made[key] = _Shown(
                posts=posts,
                ids={p.id for p in posts},
                by_author=Counter(p.author_id for p in posts),
            )
        return found


def memberships_of(user_ids: list[int]) -> dict[int, list[tuple[int, MemberRole]]]:
    """Each person's active groups with their role there, read at once."""
    found: dict[int, list[tuple[int, MemberRole]]] = defaultdict(list)
    if not user_ids:
        return found
    for user_id, group_id, role in db.session.execute(
        select(Membership.user_id, Membership.group_id, Membership.role).where(
            Membership.user_id.in_(user_ids), Membership.state == MemberState.ACTIVE
        )
    ):
        found[user_id].append((group_id, role))
    return found


def queue_sizes(
    users: list[User], memberships: dict[int, list[tuple[int, MemberRole]]]
) -> dict[int, int]:
    """How many posts wait in each moderator's queue (held, or published with an open flag),
    as the moderation queue scopes it: everything for site moderators, their groups' for
    group moderators and organisers. One query for everyone."""
    moderators = [
        u
        for u in users
        if is_site_moderator(u)
        or (
            not u.is_banned()
            and any(role in GROUP_MODERATOR_ROLES for _, role in memberships.get(u.id, ()))
        )
    ]
    if not moderators:
        return {}
    open_flag = exists().where(Flag.post_id == Post.id, Flag.resolved_at.is_(None))
    waiting = dict(
        db.session.execute(
            select(Discussion.group_id, func.count(Post.id))
            .join(Discussion, Post.discussion_id == Discussion.id)
            .where(
                or_(
                    Post.state == PostState.PENDING,
                    and_(Post.state == PostState.PUBLISHED, open_flag),
                )
            )
            .group_by(Discussion.group_id)
        ).all()
    )
    sizes = {}
    for user in moderators:
        if is_site_moderator(user):
            sizes[user.id] = sum(waiting.values())
        else:
            sizes[user.id] = sum(
                waiting.get(group_id, 0)
                for group_id, role in memberships.get(user.id, ())
                if role in GROUP_MODERATOR_ROLES
            )
    return sizes


def _upcoming_sessions(
    windows: list[Window], memberships: dict[int, list[tuple[int, MemberRole]]]
) -> dict[int, list[DigestSession]]:
    """Each person's groups' sessions in the week after their digest, with their answers."""
    group_ids = sorted({g for groups in memberships.values() for g, _ in groups})
    if not group_ids:
        return {}
    earliest = min(w.end for w in windows)
    latest = max(w.end for w in windows) + UPCOMING
    sessions = list(
        db.session.scalars(
            select(GroupSession)
            .where(
                GroupSession.group_id.in_(group_ids),
                GroupSession.status == SessionStatus.SCHEDULED,
                GroupSession.starts_at >= earliest,
                GroupSession.starts_at < latest,
            )
            .options(
                joinedload(GroupSession.group),
                selectinload(GroupSession.readings).joinedload(SessionReading.article),
            )
            .order_by(GroupSession.starts_at, GroupSession.id)
        )
    )
    if not sessions:
        return {}
    answers = {
        (user_id, session_id): status
        for user_id, session_id, status in db.session.execute(
            select(Rsvp.user_id, Rsvp.session_id, Rsvp.status).where(
                Rsvp.user_id.in_([w.user.id for w in windows]),
                Rsvp.session_id.in_([s.id for s in sessions]),
            )
        )
    }
    by_group: dict[int, list[GroupSession]] = defaultdict(list)
    for session in sessions:
        by_group[session.group_id].append(session)
    found: dict[int, list[DigestSession]] = {}
    for window in windows:
        user = window.user
        mine = sorted(
            (
                session
                for group_id, _ in memberships.get(user.id, ())
                for session in by_group.get(group_id, ())
                if window.end <= session.starts_at < window.end + UPCOMING
            ),
            key=lambda s: (s.starts_at, s.id),
        )
        found[user.id] = [
            DigestSession(
                title=session.title,
                group_name=session.group.name,
                path=f"/groups/{quote(session.group.slug)}/sessions/{session.id}",
                starts_at=session.starts_at,
                when=spoken_time(session.starts_at, user.timezone),
                place=session.place,
                rsvp=(
                    answers[(user.id, session.id)].value
                    if (user.id, session.id) in answers
                    else None
                ),
                readings=[
                    DigestReading(r.article.title, r.article.slug)
                    for r in session.readings
                    if not r.article.is_hidden
                ],
            )
            for session in mine
        ]
    return found


def _ballots_closing(
    windows: list[Window], memberships: dict[int, list[tuple[int, MemberRole]]]
) -> dict[int, list[DigestBallot]]:
    """Open ballots each person may vote in and has not (they said they were going to the
    session, or came, and are a member), closing before their next digest and a day more."""
    if not any(memberships.values()):
        return {}
    earliest = min(w.end for w in windows)
    latest = max(w.end + _ballot_horizon(w.user) for w in windows)
    rows = ballots_awaiting_votes([w.user.id for w in windows], earliest, latest)
    by_user: dict[int, list[Ballot]] = defaultdict(list)
    for ballot, user_id in rows:
        by_user[user_id].append(ballot)
    found: dict[int, list[DigestBallot]] = {}
    for window in windows:
        user = window.user
        groups = {group_id for group_id, _ in memberships.get(user.id, ())}
        found[user.id] = [
            DigestBallot(
                title=ballot.session.title,
                group_name=ballot.session.group.name,
                path=(
                    f"/groups/{quote(ballot.session.group.slug)}"
                    f"/sessions/{ballot.session_id}/ballot"
                ),
                closes_at=ballot.closes_at,
                closes=spoken_time(ballot.closes_at, user.timezone),
            )
            for ballot in by_user.get(user.id, ())
            if ballot.session.group_id in groups
            and window.end < ballot.closes_at <= window.end + _ballot_horizon(user)
        ]
    return found


def digest_contents(windows: list[Window]) -> dict[int, DigestContent]:
    """Each person's digest for their window, read for all of them at once."""
    if not windows:
        return {}
    user_ids = [w.user.id for w in windows]
    earliest = min(w.start for w in windows)
    latest = max(w.end for w in windows)

    followed: dict[int, set[int]] = defaultdict(set)
    for user_id, discussion_id in db.session.execute(
        select(Follow.user_id, Follow.discussion_id).where(Follow.user_id.in_(user_ids))
    ):
        followed[user_id].add(discussion_id)
    discussion_ids = set().union(*followed.values()) if followed else set()

    new_posts = []
    if discussion_ids:
        new_posts = db.session.execute(
            select(*POST_COLUMNS).where(
                Post.discussion_id.in_(sorted(discussion_ids)),
                Post.state == PostState.PUBLISHED,
                Post.created_at >= earliest,
                Post.created_at < latest,
            )
        ).all()
    parent = aliased(Post)
    replies = db.session.execute(
        select(*POST_COLUMNS, parent.author_id.label("parent_author_id"))
        .join(parent, Post.parent_id == parent.id)
        .where(
            parent.author_id.in_(user_ids),
            Post.state == PostState.PUBLISHED,
            Post.created_at >= earliest,
            Post.created_at < latest,
        )
    ).all()
    articles = list(
        db.session.scalars(
            select(Article)
            .where(
                Article.is_hidden.is_(False),
                Article.published_at >= earliest,
                Article.published_at < latest,
            )
            .order_by(Article.published_at.desc())
        )
    )
    shown_ids = {p.discussion_id for p in new_posts} | {p.discussion_id for p in replies}
    discussions = {
        d.id: d
        for d in db.session.scalars(
            select(Discussion)
            .where(Discussion.id.in_(sorted(shown_ids)))
            .options(
                joinedload(Discussion.article),
                joinedload(Discussion.group),
                joinedload(Discussion.session),
            )
        )
    }
    author_ids = {p.author_id for p in new_posts} | {p.author_id for p in replies}
    authors = dict(
        db.session.execute(
            select(User.id, User.display_name).where(User.id.in_(sorted(author_ids)))
        ).all()
    )
    entry = _Excerpts(authors)
    memberships = memberships_of(user_ids)
    upcoming = _upcoming_sessions(windows, memberships)
    closing = _ballots_closing(windows, memberships)
    waiting = queue_sizes([w.user for w in windows], memberships)

    # Best first once for the chunk; each person's share keeps that order.
    posts_by_discussion: dict[int, list] = defaultdict(list)
    for post in sorted(new_posts, key=_best_first):
        posts_by_discussion[post.discussion_id].append(post)
    replies_to: dict[int, list] = defaultdict(list)
    for post in sorted(replies, key=_best_first):
        replies_to[post.parent_author_id].append(post)

    in_window = _WindowedPosts(posts_by_discussion)
    contents = {}
    for window in windows:
        user = window.user
        user_id = user.id
        content = DigestContent()
        reply_posts = [
            p
            for p in replies_to.get(user_id, [])
            if window.holds(p.created_at)
            and p.author_id != user_id
            and can_view_discussion(user, discussions[p.discussion_id])
        ]
        reply_ids = {p.id for p in reply_posts}
        content.replies = [entry(p) for p in reply_posts]
        for discussion_id in sorted(followed.get(user_id, ())):
            discussion = discussions.get(discussion_id)
            if discussion is None or not can_view_discussion(user, discussion):
                continue
            shown = in_window(discussion_id, window)
            # Everyone with this window shares the list; what is left out for this person
            # (their own posts, the replies to them listed above) is counted, not filtered.
            left_out = shown.by_author.get(user_id, 0) + len(reply_ids & shown.ids)
            count = len(shown.posts) - left_out
            if count <= 0:
                continue
            first = []
            for p in shown.posts:
                if p.author_id != user_id and p.id not in reply_ids:
                    first.append(entry(p))
                    if len(first) == POSTS_PER_SECTION:
                        break
            content.sections.append(
                DigestSection(
                    title=discussion_title(discussion),
                    path=discussion_path(discussion),
                    group_name=discussion.group.name if discussion.group else None,
                    posts=first,
                    more=max(0, count - POSTS_PER_SECTION),
                )
            )
        content.sections.sort(key=lambda s: (-len(s.posts) - s.more, s.title))
        content.articles = [a for a in articles if window.holds(a.published_at)]
        content.sessions = upcoming.get(user.id, [])
        content.ballots = closing.get(user.id, [])
        content.queue_size = waiting.get(user.id)
        contents[user.id] = content
    return contents
