"""Reads of discussions, with visibility applied.

A discussion page costs the same two queries however many posts and authors it has: one for
a page of top-level posts, all their replies down to the depth shown with their authors' names,
and the number of pages; one for the viewer's votes, flags and follow.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Row,
    Select,
    and_,
    bindparam,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import joinedload

from forum.accounts.models import User
from forum.accounts.permissions import is_signed_in
from forum.articles.models import Article
from forum.core.errors import NotVisible
from forum.core.pagination import Page, paginate
from forum.discussions.models import Discussion, Follow, Post, PostRevision, PostState, Vote
from forum.discussions.permissions import can_view_discussion, can_view_post
from forum.extensions import db
from forum.moderation.models import Flag
from forum.moderation.permissions import can_moderate_discussion

SORTS = ("oldest", "newest", "top")


@dataclass(slots=True, eq=False)
class Author:
    """A post's author as a thread shows them."""

    id: int
    username: str
    display_name: str


@dataclass(slots=True, eq=False)
class ThreadPost:
    """A post as a thread shows it, read by one plain select with its author's names.

    A page shows hundreds of posts: building ORM objects for them and their authors (identity
    map, instrumented attributes) cost more than rendering them. These are read-only and not
    in the session; load the Post to change one. The fields are the Post's own names, so
    templates, permissions and the API read either.
    """

    id: int
    discussion_id: int
    parent_id: int | None
    root_id: int | None
    depth: int
    author_id: int
    # For the API, which shows posts as written.
    body_md: str
    body_html: str
    state: PostState
    created_at: datetime
    edited_at: datetime | None
    score: int
    reply_count: int
    hold_reasons: str
    author: Author
    discussion: Discussion
    children: list[ThreadPost] = field(default_factory=list)

    # The model's own properties (they read only the fields above).
    is_published = Post.is_published
    is_deleted = Post.is_deleted
    is_pending = Post.is_pending
    hold_labels = Post.hold_labels


# In ThreadPost's order, before the author's two names.
THREAD_POST_COLUMNS = (
    Post.id,
    Post.discussion_id,
    Post.parent_id,
    Post.root_id,
    Post.depth,
    Post.author_id,
    Post.body_md,
    Post.body_html,
    Post.state,
    Post.created_at,
    Post.edited_at,
    Post.score,
    Post.reply_count,
    Post.hold_reasons,
)


def _thread_posts_select(*extra_columns) -> Select:
    """Posts with their authors' names, then ``extra_columns``: rows for ``_thread_posts``."""
    return select(*THREAD_POST_COLUMNS, User.username, User.display_name, *extra_columns).join(
        User, User.id == Post.author_id
    )


# Where the author's names start in a row of ``_thread_posts_select``.
_NAMES = len(THREAD_POST_COLUMNS)


def _thread_posts(rows: Iterable[Row], discussion: Discussion) -> list[ThreadPost]:
    """ThreadPosts from rows of ``_thread_posts_select``, each author made once."""
    authors: dict[int, Author] = {}
    posts = []
    for row in rows:
        author_id = row.author_id
        author = authors.get(author_id)
        if author is None:
            author = authors[author_id] = Author(author_id, row[_NAMES], row[_NAMES + 1])
        posts.append(ThreadPost(*row[:_NAMES], author, discussion))
    return posts


@dataclass
class ThreadPage:
    """Top-level posts of one page (or one continued thread), replies nested under them."""

    page: Page
    sort: str
    roots: list[Post | ThreadPost] = field(default_factory=list)
    voted: set[int] = field(default_factory=set)
    # Posts the viewer has flagged: they see that they did.
    flagged: set[int] = field(default_factory=set)
    is_following: bool = False
    max_depth: int = 6

    def posts(self) -> list[Post | ThreadPost]:
        """Every post shown, replies included, parents before their replies."""
        found: list[Post] = []
        waiting = list(reversed(self.roots))
        while waiting:
            post = waiting.pop()
            found.append(post)
            waiting.extend(reversed(getattr(post, "children", [])))
        return found


def max_depth() -> int:
    return current_app.config["MAX_THREAD_DEPTH"]


def _pending_seen(viewer, discussion: Discussion | None) -> str:
    """Which posts awaiting review the viewer sees: "all" (the discussion's moderators), their
    "own", or "none"."""
    if discussion is not None and can_moderate_discussion(viewer, discussion):
        return "all"
    return "own" if is_signed_in(viewer) else "none"


def _shown(pending: str, viewer_id) -> ColumnElement[bool]:
    shown = or_(
        Post.state == PostState.PUBLISHED,
        and_(Post.state == PostState.DELETED, Post.reply_count > 0),
    )
    if pending == "all":
        return or_(shown, Post.state == PostState.PENDING)
    if pending == "own":
        return or_(shown, and_(Post.state == PostState.PENDING, Post.author_id == viewer_id))
    return shown


def _shown_to(viewer, discussion: Discussion | None = None) -> ColumnElement[bool]:
    """Posts in a thread: published ones, deleted ones that still hold replies (as
    placeholders), and posts awaiting review to their authors and the discussion's moderators."""
    return _shown(_pending_seen(viewer, discussion), viewer.id if is_signed_in(viewer) else None)


def _order(sort: str) -> list:
    if sort == "newest":
        return [Post.created_at.desc(), Post.id.desc()]
    if sort == "top":
        return [Post.score.desc(), Post.id.asc()]
    return [Post.created_at.asc(), Post.id.asc()]


def known_sort(sort: str | None) -> str:
    """``sort`` if it is one of SORTS, else the default order."""
    return sort if sort in SORTS else "oldest"


def _sort_key(sort: str):
    if sort == "newest":
        return lambda post: (-post.created_at.timestamp(), -post.id)
    if sort == "top":
        return lambda post: (-post.score, post.id)
    return lambda post: (post.created_at, post.id)


def get_discussion_for(viewer, discussion_id: int) -> Discussion:
    discussion = db.session.get(Discussion, discussion_id, options=[joinedload(Discussion.article)])
    if discussion is None or not can_view_discussion(viewer, discussion):
        raise NotVisible("There is no such discussion.")
    return discussion


def get_public_discussion(article: Article) -> Discussion:
    discussion = db.session.scalar(
        select(Discussion).where(Discussion.article_id == article.id, Discussion.group_id.is_(None))
    )
    if discussion is None:
        raise NotVisible("This article has no discussion.")
    return discussion


def get_post_for(viewer, post_id: int) -> Post:
    post = db.session.get(
        Post,
        post_id,
        options=[
            joinedload(Post.author),
            joinedload(Post.discussion).joinedload(Discussion.article),
        ],
    )
    if post is None or not can_view_post(viewer, post):
        raise NotVisible("There is no such post.")
    if not can_view_discussion(viewer, post.discussion):
        raise NotVisible("There is no such post.")
    return post


def _build_tree(
    parents: list[Post | ThreadPost], descendants: list[ThreadPost], sort: str
) -> list[int]:
    """Attach each post's visible replies as ``post.children``; return the ids shown."""
    children: dict[int, list[ThreadPost]] = defaultdict(list)
    for post in descendants:
        children[post.parent_id].append(post)
    key = _sort_key(sort)
    for post in [*parents, *descendants]:
        post.children = sorted(children.get(post.id, []), key=key)
    return [post.id for post in [*parents, *descendants]]


@dataclass
class ViewerMarks:
    voted: set[int] = field(default_factory=set)
    flagged: set[int] = field(default_factory=set)
    following: bool = False
    # The viewer's own posts (``discussion_marks`` only): they may edit or delete them.
    own: set[int] = field(default_factory=set)


_FOLLOW_MARK = select(
    literal_column("'follow'").label("kind"), Follow.discussion_id.label("id")
).where(Follow.discussion_id == bindparam("discussion_id"), Follow.user_id == bindparam("user_id"))

# The viewer's follow of the discussion, votes and flags among the posts shown. Built once:
# a statement made per request (an IN of hundreds of values) costs more than running it.
_VIEWER_MARKS = union_all(
    _FOLLOW_MARK,
    select(literal_column("'vote'"), Vote.post_id).where(
        Vote.user_id == bindparam("user_id"), Vote.post_id.in_(bindparam("ids", expanding=True))
    ),
    select(literal_column("'flag'"), Flag.post_id).where(
        Flag.user_id == bindparam("user_id"), Flag.post_id.in_(bindparam("ids", expanding=True))
    ),
)

# The same anywhere in the discussion, and the viewer's own posts there: each found from the
# viewer's own rows (by their user index), so it costs what they did, not the discussion's size.
_in_discussion = Post.discussion_id == bindparam("discussion_id")
_DISCUSSION_MARKS = union_all(
    _FOLLOW_MARK,
    select(literal_column("'vote'"), Vote.post_id)
    .join(Post, Post.id == Vote.post_id)
    .where(Vote.user_id == bindparam("user_id"), _in_discussion),
    select(literal_column("'flag'"), Flag.post_id)
    .join(Post, Post.id == Flag.post_id)
    .where(Flag.user_id == bindparam("user_id"), _in_discussion),
    select(literal_column("'own'"), Post.id).where(
        Post.author_id == bindparam("user_id"), _in_discussion
    ),
)


def _read_marks(statement, parameters: dict) -> ViewerMarks:
    marks = ViewerMarks()
    for kind, found_id in db.session.execute(statement, parameters):
        if kind == "vote":
            marks.voted.add(found_id)
        elif kind == "flag":
            marks.flagged.add(found_id)
        elif kind == "own":
            marks.own.add(found_id)
        else:
            marks.following = True
    return marks


def _viewer_marks(viewer, discussion: Discussion, ids: list[int]) -> ViewerMarks:
    """The viewer's votes and flags among the posts shown, and whether they follow the
    discussion: one query, however many posts."""
    if not is_signed_in(viewer):
        return ViewerMarks()
    return _read_marks(
        _VIEWER_MARKS, {"discussion_id": discussion.id, "user_id": viewer.id, "ids": ids}
    )


def discussion_marks(viewer, discussion: Discussion) -> ViewerMarks:
    """The viewer's follow, votes, flags and own posts anywhere in the discussion, in one query:
    all of what a page of it shows differently for them, known before reading the page (a
    stored thread is chosen by it, see forum.discussions.rendering)."""
    if not is_signed_in(viewer):
        return ViewerMarks()
    return _read_marks(_DISCUSSION_MARKS, {"discussion_id": discussion.id, "user_id": viewer.id})


@cache
def _thread_page_statement(pending: str, sort: str) -> CompoundSelect:
    """The query of ``thread_page`` for one kind of viewer (``_pending_seen``) and order,
    built once: building it cost about as much as running it. It reads the page's top-level
    posts, each with the count of all of them (counted before LIMIT), and their replies.
    Parameters: discussion_id, viewer_id (for "own"), per_page, offset, depth."""
    shown = _shown(pending, bindparam("viewer_id"))
    in_discussion = Post.discussion_id == bindparam("discussion_id")
    page_roots = (
        select(Post.id, func.count().over().label("total"))
        .where(in_discussion, Post.parent_id.is_(None), shown)
        .order_by(*_order(sort))
        .limit(bindparam("per_page"))
        .offset(bindparam("offset"))
        .cte("page_roots")
    )
    return union_all(
        _thread_posts_select(page_roots.c.total).join(page_roots, page_roots.c.id == Post.id),
        # IN rather than a join, so the replies are found by the index on (discussion, root)
        # from the page's few roots rather than by reading the whole discussion.
        _thread_posts_select(null()).where(
            in_discussion,
            Post.root_id.in_(select(page_roots.c.id)),
            Post.depth < bindparam("depth"),
            shown,
        ),
    )


def thread_page(
    viewer, discussion: Discussion, page: int, sort: str, marks: ViewerMarks | None = None
) -> ThreadPage:
    """The page'th page of top-level posts in ``sort`` order, each with its replies.

    One query reads the page's top-level posts, their replies and how many top-level posts
    there are in all (a second counts them only for a page past the end); one more the
    viewer's marks among them, unless ``marks`` (``discussion_marks``) are given."""
    sort = known_sort(sort)
    depth = max_depth()
    per_page = current_app.config["POSTS_PER_PAGE"]
    pending = _pending_seen(viewer, discussion)
    parameters = {
        "discussion_id": discussion.id,
        "per_page": per_page,
        "offset": (page - 1) * per_page,
        "depth": depth,
    }
    if pending == "own":
        parameters["viewer_id"] = viewer.id
    rows = db.session.execute(_thread_page_statement(pending, sort), parameters).all()
    posts = _thread_posts(rows, discussion)
    roots = sorted((post for post in posts if post.parent_id is None), key=_sort_key(sort))
    descendants = [post for post in posts if post.parent_id is not None]
    if roots:
        total = next(row[-1] for row in rows if row.parent_id is None)
    elif page > 1:
        total = db.session.scalar(
            select(func.count()).where(
                Post.discussion_id == discussion.id,
                Post.parent_id.is_(None),
                _shown_to(viewer, discussion),
            )
        )
    else:
        total = 0
    shown = _build_tree(roots, descendants, sort)
    if marks is None:
        marks = _viewer_marks(viewer, discussion, shown)
    return ThreadPage(
        page=Page(items=roots, number=page, per_page=per_page, total=total or 0),
        sort=sort,
        roots=roots,
        voted=marks.voted,
        flagged=marks.flagged,
        is_following=marks.following,
        max_depth=depth,
    )


def continued_thread(viewer, post: Post) -> ThreadPage:
    """A thread too deep for its page: ``post`` and its replies, as deep again."""
    depth = max_depth()
    rows = db.session.execute(
        _thread_posts_select().where(
            Post.discussion_id == post.discussion_id,
            Post.path.startswith(post.path),
            Post.id != post.id,
            Post.depth < post.depth + depth,
            _shown_to(viewer, post.discussion),
        )
    )
    descendants = _thread_posts(rows, post.discussion)
    marks = _viewer_marks(viewer, post.discussion, _build_tree([post], descendants, "oldest"))
    return ThreadPage(
        page=Page(items=[post], number=1, per_page=1, total=1),
        sort="oldest",
        roots=[post],
        voted=marks.voted,
        flagged=marks.flagged,
        is_following=marks.following,
        max_depth=post.depth + depth,
    )


def thread_anchor(post: Post) -> Post | None:
    """The post whose continued-thread page shows ``post``, or None if the discussion page does.

    A page shows ``max_depth`` levels; a post on its last level that has replies links to its
    own continued page, so anchors sit at depths max_depth-1, 2*(max_depth-1), ...
    """
    depth = max_depth()
    if post.depth < depth:
        return None
    step = depth - 1
    lineage = [*post.ancestor_ids(), post.id]
    return db.session.get(Post, lineage[((post.depth - 1) // step) * step])


def page_of_root(root: Post) -> int:
    """The page of the discussion (oldest first, as the default sort) where ``root`` appears."""
    before = db.session.scalar(
        select(func.count()).where(
            Post.discussion_id == root.discussion_id,
            Post.parent_id.is_(None),
            _shown_to(None),
            or_(
                Post.created_at < root.created_at,
                and_(Post.created_at == root.created_at, Post.id < root.id),
            ),
        )
    )
    return before // current_app.config["POSTS_PER_PAGE"] + 1


def root_of(post: Post) -> Post:
    return post if post.root_id is None else db.session.get(Post, post.root_id)


def revisions_of(post: Post) -> list[PostRevision]:
    return list(
        db.session.scalars(
            select(PostRevision)
            .where(PostRevision.post_id == post.id)
            .order_by(PostRevision.replaced_at.desc(), PostRevision.id.desc())
        )
    )


def posts_by_author(viewer, author: User, page: int) -> Page:
    """The author's posts the viewer may see, newest first, with their articles loaded."""
    shown = Post.state == PostState.PUBLISHED
    if is_signed_in(viewer) and viewer.id == author.id:
        # Authors see where each of their posts stands, with a rejection's reason.
        shown = Post.state.in_((PostState.PUBLISHED, PostState.PENDING, PostState.REJECTED))
    statement = (
        select(Post)
        .join(Post.discussion)
        .join(Discussion.article)
        .where(Post.author_id == author.id, shown, Article.is_hidden.is_(False))
        .options(joinedload(Post.discussion).joinedload(Discussion.article))
        .order_by(Post.created_at.desc(), Post.id.desc())
    )
    return paginate(statement, page, current_app.config["POSTS_PER_PAGE"])
