"""Reads for moderators: the queue (held posts plus open flags) and the audit log, limited to
what the viewer moderates. A page of the queue costs the same few queries however long it is."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import Index, and_, false, func, select, true
from sqlalchemy.orm import joinedload

from forum.accounts.models import User
from forum.core.db import utc_now
from forum.core.errors import NotVisible, PermissionDenied
from forum.core.memo import request_memo
from forum.core.pagination import Page, paginate
from forum.discussions.models import Discussion, Post, PostState
from forum.discussions.permissions import can_view_post
from forum.extensions import db
from forum.groups.models import Group
from forum.groups.permissions import read_memberships
from forum.moderation.models import Action, AuditEntry, AuthorWarning, FeaturedPost, Flag, Policy
from forum.moderation.permissions import (
    can_moderate_post,
    can_view_warning,
    is_site_moderator,
    moderated_group_ids,
)

TABS = ("pending", "flagged", "rejected", "approved")
TAB_NAMES = {
    "pending": "Pending",
    "flagged": "Flagged",
    "rejected": "Rejected",
    "approved": "Recently approved",
}
SORTS = ("oldest", "newest")
RECENTLY = timedelta(days=7)
ITEMS_PER_PAGE = 25
LOG_PER_PAGE = 50
HISTORY_ACTIONS = 5

# The Pending and Flagged tabs list a state's posts oldest (or newest) first: read in that
# order from the index, a page stops after its 25 rows instead of sorting every held post.
# (Declared here, beside the query it serves; migration 60d609d7f47f.)
Index("ix_posts_state_created", Post.state, Post.created_at)


@dataclass
class AuthorHistory:
    user: User
    approved: int = 0
    rejected: int = 0
    pending: int = 0
    actions: list[AuditEntry] = field(default_factory=list)


@dataclass
class QueueItem:
    post: Post
    parent: Post | None
    flags: list[Flag]
    history: AuthorHistory

    @property
    def open_flags(self) -> list[Flag]:
        return [flag for flag in self.flags if flag.resolved_at is None]


@dataclass
class Queue:
    tab: str
    sort: str
    page: Page
    items: list[QueueItem]
    counts: dict[str, int]


def _in_scope(viewer):
    """The discussions ``viewer`` moderates, as a WHERE clause on Discussion."""
    if is_site_moderator(viewer):
        return true()
    groups = moderated_group_ids(viewer)
    return Discussion.group_id.in_(groups) if groups else false()


def _tab_clause(tab: str, now: datetime):
    if tab == "flagged":
        # From the few open flags to their posts (an EXISTS per post would read every post).
        flagged = select(Flag.post_id).where(Flag.resolved_at.is_(None))
        return and_(Post.state.in_((PostState.PENDING, PostState.PUBLISHED)), Post.id.in_(flagged))
    if tab == "rejected":
        return Post.state == PostState.REJECTED
    if tab == "approved":
        return and_(Post.state == PostState.PUBLISHED, Post.moderated_at >= now - RECENTLY)
    return Post.state == PostState.PENDING


def _filters(article_id: int | None, group_id: int | None) -> list:
    found = []
    if article_id:
        found.append(Discussion.article_id == article_id)
    if group_id:
        found.append(Discussion.group_id == group_id)
    return found


def queue_counts(viewer, now: datetime, article_id=None, group_id=None) -> dict[str, int]:
    """Each tab's count, in one query of one subquery per tab.

    Each subquery reads only its own rows through an index (posts by state and moderation
    time; the open flags, each post looked up by its key), so a site with millions of
    published posts counts a queue of a few dozen as cheaply as an empty one.
    """
    everything = is_site_moderator(viewer) and not article_id and not group_id

    def scoped(statement):
        if everything:
            return statement
        return statement.join(Discussion, Post.discussion_id == Discussion.id).where(
            _in_scope(viewer), *_filters(article_id, group_id)
        )

    def count(tab: str):
        statement = select(func.count()).select_from(Post).where(_tab_clause(tab, now))
        return scoped(statement).scalar_subquery().label(tab)

    # From the open flags to their posts: never from the (published, so numerous) posts.
    flagged_post = scoped(
        select(Post.id).where(
            Post.id == Flag.post_id, Post.state.in_((PostState.PENDING, PostState.PUBLISHED))
        )
    )
    flagged = select(func.count(func.distinct(Flag.post_id))).where(
        Flag.resolved_at.is_(None), flagged_post.exists()
    )
    row = db.session.execute(
        select(
            *(count(tab) for tab in ("pending", "rejected", "approved")),
            flagged.scalar_subquery().label("flagged"),
        )
    ).one()
    return {tab: int(getattr(row, tab)) for tab in TABS}


def _order(tab: str, sort: str) -> list:
    column = Post.moderated_at if tab in ("rejected", "approved") else Post.created_at
    if sort == "newest":
        return [column.desc(), Post.id.desc()]
    return [column.asc(), Post.id.asc()]


def moderation_queue(
    viewer,
    tab: str = "pending",
    sort: str = "oldest",
    page: int = 1,
    now: datetime | None = None,
    article_id: int | None = None,
    group_id: int | None = None,
) -> Queue:
    now = now or utc_now()
    tab = tab if tab in TABS else "pending"
    sort = sort if sort in SORTS else ("newest" if tab in ("rejected", "approved") else "oldest")
    # The tab's count is the page's total: counting the page's own statement again would
    # read every row of the tab (and, joined to the discussions, SQLite reads every post).
    counts = queue_counts(viewer, now, article_id, group_id)
    statement = select(Post).where(_tab_clause(tab, now))
    if not (is_site_moderator(viewer) and not article_id and not group_id):
        # A subquery, not a join: the planner then reads the tab's posts through their
        # (state, time) index instead of walking every discussion's posts.
        scope = select(Discussion.id).where(_in_scope(viewer), *_filters(article_id, group_id))
        statement = statement.where(Post.discussion_id.in_(scope))
    statement = (
        statement.options(
            joinedload(Post.author),
            joinedload(Post.discussion).joinedload(Discussion.article),
            joinedload(Post.discussion).joinedload(Discussion.group),
        )
        .order_by(*_order(tab, sort))
        .limit(ITEMS_PER_PAGE)
        .offset((page - 1) * ITEMS_PER_PAGE)
    )
    posts: list[Post] = list(db.session.scalars(statement).unique())
    found = Page(items=posts, number=page, per_page=ITEMS_PER_PAGE, total=counts[tab])
    items = _with_context(posts)
    return Queue(tab=tab, sort=sort, page=found, items=items, counts=counts)


def _with_context(posts: list[Post]) -> list[QueueItem]:
    """Parents, flags, the authors' histories and their group memberships of a page's posts:
    one query each."""
    if not posts:
        return []
    parent_ids = {post.parent_id for post in posts if post.parent_id}
    parents = {
        parent.id: parent
        for parent in db.session.scalars(
            select(Post).where(Post.id.in_(parent_ids)).options(joinedload(Post.author))
        )
    }
    flags: dict[int, list[Flag]] = defaultdict(list)
    for flag in db.session.scalars(
        select(Flag)
        .where(Flag.post_id.in_([post.id for post in posts]))
        .options(joinedload(Flag.user))
        .order_by(Flag.created_at, Flag.id)
    ):
        flags[flag.post_id].append(flag)
    histories = author_histories([post.author for post in posts])
    # Whether each author may be banned from the group of their post depends on their role
    # there: read for the whole page here, not once per post by the permission.
    read_memberships(
        (post.author_id, post.discussion.group_id) for post in posts if post.discussion.group_id
    )
    return [
        QueueItem(
            post=post,
            parent=parents.get(post.parent_id) if post.parent_id else None,
            flags=flags.get(post.id, []),
            history=histories[post.author_id],
        )
        for post in posts
    ]


def author_histories(authors: list[User]) -> dict[int, AuthorHistory]:
    """Posts approved, rejected and waiting, and the latest actions against each author."""
    histories = {author.id: AuthorHistory(user=author) for author in authors}
    ids = list(histories)
    for author_id, state, count in db.session.execute(
        select(Post.author_id, Post.state, func.count())
        .where(Post.author_id.in_(ids))
        .group_by(Post.author_id, Post.state)
    ):
        history = histories[author_id]
        if state is PostState.PUBLISHED:
            history.approved = count
        elif state is PostState.REJECTED:
            history.rejected = count
        elif state is PostState.PENDING:
            history.pending = count
    # The latest few actions per author, numbered in SQL so one query serves the page.
    numbered = (
        select(
            AuditEntry.id,
            func.row_number()
            .over(
                partition_by=AuditEntry.target_user_id,
                order_by=(AuditEntry.created_at.desc(), AuditEntry.id.desc()),
            )
            .label("n"),
        )
        .where(AuditEntry.target_user_id.in_(ids), AuditEntry.action != Action.HIDE)
        .subquery()
    )
    for entry in db.session.scalars(
        select(AuditEntry)
        .join(numbered, numbered.c.id == AuditEntry.id)
        .where(numbered.c.n <= HISTORY_ACTIONS)
        .options(joinedload(AuditEntry.actor))
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    ):
        histories[entry.target_user_id].actions.append(entry)
    return histories


def get_post_to_moderate(viewer, post_id: int) -> Post:
    """A post the viewer moderates: 404 if they may not even see it, 403 if they may only
    read it."""
    post = db.session.get(
        Post,
        post_id,
        options=[
            joinedload(Post.author),
            joinedload(Post.discussion).joinedload(Discussion.article),
        ],
    )
    if post is None or not can_view_post(viewer, post):
        raise NotVisible(_("There is no such post."))
    if not can_moderate_post(viewer, post):
        raise PermissionDenied(_("Only this discussion's moderators can moderate this post."))
    return post


def posts_to_moderate(viewer, post_ids: list[int]) -> list[Post]:
    """The posts among ``post_ids`` that the viewer moderates."""
    if not post_ids:
        return []
    return list(
        db.session.scalars(
            select(Post)
            .join(Discussion, Post.discussion_id == Discussion.id)
            .where(Post.id.in_(post_ids), _in_scope(viewer))
            .options(joinedload(Post.author), joinedload(Post.discussion))
            .order_by(Post.id)
        )
    )


def featured_posts(discussion: Discussion) -> list[Post]:
    """The discussion's featured posts that are still published, the latest pinned first;
    read once per request and discussion (every post on the page asks), and afresh after a
    write (forum.core.memo): a pin changed in the request is seen by what follows it."""
    memo = request_memo("featured_posts")
    if memo is not None and discussion.id in memo:
        return memo[discussion.id]
    posts = list(
        db.session.scalars(
            select(Post)
            .join(FeaturedPost, FeaturedPost.post_id == Post.id)
            .where(
                FeaturedPost.discussion_id == discussion.id,
                Post.state == PostState.PUBLISHED,
            )
            .options(joinedload(Post.author))
            .order_by(FeaturedPost.created_at.desc(), Post.id.desc())
        )
    )
    if memo is not None:
        memo[discussion.id] = posts
    return posts


def is_featured(post: Post) -> bool:
    return post.is_published and any(
        found.id == post.id for found in featured_posts(post.discussion)
    )


def first_published_post(author: User, discussion: Discussion) -> Post | None:
    return db.session.scalar(
        select(Post)
        .where(
            Post.discussion_id == discussion.id,
            Post.author_id == author.id,
            Post.state == PostState.PUBLISHED,
        )
        .order_by(Post.id)
        .limit(1)
    )


def get_warning_for(viewer, warning_id: int) -> AuthorWarning:
    """A warning, for the person warned and the moderators of where it was given."""
    warning = db.session.get(
        AuthorWarning, warning_id, options=[joinedload(AuthorWarning.moderator)]
    )
    if warning is None or not can_view_warning(viewer, warning):
        raise NotVisible(_("There is no such warning."))
    return warning


def get_group(group_id: int) -> Group:
    group = db.session.get(Group, group_id)
    if group is None:
        raise NotVisible(_("There is no such group."))
    return group


def group_policy_row(group_id: int) -> Policy | None:
    return db.session.scalar(select(Policy).where(Policy.group_id == group_id))


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotVisible(_("There is no such person."))
    return user


# The log --------------------------------------------------------------------------------


def _log_statement(viewer, action: str | None, actor: str | None, target: str | None):
    statement = select(AuditEntry).options(
        joinedload(AuditEntry.actor), joinedload(AuditEntry.target_user)
    )
    if not is_site_moderator(viewer):
        groups = moderated_group_ids(viewer)
        statement = statement.where(AuditEntry.group_id.in_(groups) if groups else false())
    if action and action in Action.__members__.values():
        statement = statement.where(AuditEntry.action == Action(action))
    if actor:
        statement = statement.where(
            AuditEntry.actor_id.in_(select(User.id).where(User.username == actor))
        )
    if target:
        statement = statement.where(
            AuditEntry.target_user_id.in_(select(User.id).where(User.username == target))
        )
    return statement.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())


def audit_log(
    viewer, page: int = 1, action: str | None = None, actor: str | None = None,
    target: str | None = None,
) -> Page:  # fmt: skip
    return paginate(_log_statement(viewer, action, actor, target), page, LOG_PER_PAGE)


def audit_rows(
    viewer, action: str | None = None, actor: str | None = None, target: str | None = None
) -> Iterator[AuditEntry]:
    """Every entry that matches, oldest first, read in chunks (for the CSV export)."""
    statement = _log_statement(viewer, action, actor, target).order_by(None)
    statement = statement.order_by(AuditEntry.created_at, AuditEntry.id)
    yield from db.session.scalars(statement.execution_options(yield_per=500))
