"""A thread's posts as HTML, from what is stored for all readers (forum.core.pagecache).

Two levels, so a page of hundreds of posts is rarely put together again:
- a whole page of a discussion (``shown_thread``), stored under the discussion's content
  token (forum.discussions.versions: the database changes it with anything the thread shows)
  and everything about the reader the page depends on, so it is read without reading the
  posts at all;
- when that is not stored, each post from fragments keyed by what they show
  (``render_thread``), so only what changed is rendered again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from flask import current_app, get_template_attribute, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from forum.core.i18n import current_language
from forum.core.pagecache import fragment_key, get_fragments, put_fragments, transaction_wrote
from forum.core.pagination import Page
from forum.core.splice import Part
from forum.discussions import permissions, queries
from forum.discussions.models import Discussion
from forum.moderation.queries import featured_posts

# Stands in for the viewer's form token in stored fragments. NUL never reaches a page from
# what people type (forms drop control characters), so only the placeholder matches.
TOKEN = "\x00csrf-token\x00"
TOKEN_BYTES = TOKEN.encode()
POST_TEMPLATE = "discussions/_post.html"


def render_thread(thread: queries.ThreadPage, discussion: Discussion) -> Part:
    """The thread's posts as the items of a list (``<li>``), replies nested in their own
    lists, for the current reader (a continued thread's page)."""
    rights = permissions.ThreadRights(current_user, discussion)
    return _with_token(_thread_html(thread, discussion, rights).encode())


def _thread_html(
    thread: queries.ThreadPage, discussion: Discussion, rights: permissions.ThreadRights
) -> str:
    """The thread's posts as the items of a list (``<li>``), replies nested in their own
    lists, with ``TOKEN`` where the form token goes; each post from fragments stored for all
    readers where possible, in one look-up and one store per page.

    A post's heading is keyed by everything it shows and the reader's language and zone; its
    buttons by what this reader may do with it (permissions decided once for the page, see
    permissions.ThreadRights), their vote and flag, and the score. The text (stored as HTML
    when written), the pending notice and the form token are added around them per reader.
    Put together here rather than by a recursive macro: a page has hundreds of posts."""
    common = (request.script_root, current_language())
    zone = getattr(current_user, "timezone", None)
    posts = thread.posts()
    # Read once a page; only published posts are featured.
    featured = {found.id for found in featured_posts(discussion)}
    wanted: dict[tuple, Callable[[], str]] = {}
    parts: dict[int, tuple[tuple, tuple | None]] = {}
    for post in posts:
        author = post.author
        pinned = post.id in featured
        head = fragment_key(
            "post-head",
            *common,
            zone,
            post.id,
            post.state.value,
            post.depth == 0,
            author.username,
            author.display_name,
            post.created_at,
            post.edited_at,
            pinned,
        )
        wanted[head] = partial(_render, "post_head", post, pinned)
        actions = None
        if not post.is_deleted:
            can = rights.for_post(post)
            voted, flagged = post.id in thread.voted, post.id in thread.flagged
            actions = fragment_key(
                "post-actions",
                *common,
                post.id,
                author.display_name,
                post.score,
                can,
                voted,
                flagged,
                pinned,
            )
            wanted[actions] = partial(
                _render, "post_actions", post, can, voted, flagged, pinned, TOKEN
            )
        parts[post.id] = (head, actions)
    keys = list(wanted)
    html = dict(zip(keys, get_fragments(keys), strict=True))
    made = {key: wanted[key]() for key, found in html.items() if found is None}
    put_fragments(made)
    html.update(made)
    out: list[str] = []

    def add(post) -> None:
        head, actions = parts[post.id]
        out.append('<li class="thread-item">')
        out.append(html[head])
        if not post.is_deleted:
            if post.is_pending:
                out.append(_render("post_status", post, permissions.is_author(current_user, post)))
            out.append(f'<div class="post-body">{post.body_html}</div>')
            out.append(html[actions])
        out.append("</article>")
        if post.children:
            out.append('<ol class="replies">')
            for child in post.children:
                add(child)
            out.append("</ol>")
        elif post.depth == thread.max_depth - 1 and post.reply_count > 0:
            out.append(_render("continue_thread", post))
        out.append("</li>")

    for root in thread.roots:
        add(root)
    return "".join(out)


def _with_token(html: bytes) -> Part:
    """``html`` from ``_thread_html``, encoded, with the viewer's form token in place of
    ``TOKEN``: as bytes, so a thread of hundreds of kilobytes is neither decoded nor encoded
    on each page (forum.core.splice)."""
    pieces = html.split(TOKEN_BYTES)
    if len(pieces) > 1:
        # Asked only when a form needs it: an anonymous reader's page must set no session
        # cookie.
        html = generate_csrf().encode().join(pieces)
    # Every piece is markup already: fragments rendered by autoescaping templates, the posts'
    # HTML sanitised when it was written, and a form token of our own.
    return Part(html)


def _render(macro: str, *args) -> str:
    return str(get_template_attribute(POST_TEMPLATE, macro)(*args))


@dataclass
class ShownThread:
    """A page of a discussion's thread as the discussion's template shows it."""

    page: Page
    sort: str
    is_following: bool
    # The posts as ``<li>`` items (empty when the page has none).
    html: Part
    # The section of featured posts above the thread (empty when there are none).
    featured: Part


def shown_thread(viewer, discussion: Discussion, number: int, sort: str) -> ShownThread:
    """The ``number``'th page of the discussion's thread in ``sort`` order, for ``viewer``.

    The page's HTML is stored under the discussion's content token and all that the page
    shows differently to this viewer: what they may do (``ThreadRights.key``), their own
    posts, votes and flags anywhere in the discussion, their language and zone. While it is
    stored, neither the posts nor their fragments are read. A transaction that has written
    anything reads and stores nothing, as the token it loaded may no longer be current."""
    marks = queries.discussion_marks(viewer, discussion)
    rights = permissions.ThreadRights(viewer, discussion)
    sort = queries.known_sort(sort)
    per_page = current_app.config["POSTS_PER_PAGE"]
    key = None
    if discussion.content_token is not None and not transaction_wrote():
        key = fragment_key(
            "thread",
            request.script_root,
            current_language(),
            getattr(viewer, "timezone", None),
            discussion.id,
            discussion.content_token,
            number,
            sort,
            per_page,
            queries.max_depth(),
            rights.key(),
            tuple(sorted(marks.own)),
            tuple(sorted(marks.voted)),
            tuple(sorted(marks.flagged)),
        )
        stored = get_fragments([key], as_bytes=True)[0]
        if stored is not None:
            total, featured, html = _unpack(stored)
            page = Page(items=[], number=number, per_page=per_page, total=total)
            return ShownThread(page, sort, marks.following, _with_token(html), featured)
    thread = queries.thread_page(viewer, discussion, number, sort, marks)
    html = _thread_html(thread, discussion, rights).encode() if thread.roots else b""
    featured = _render("featured_section", discussion, featured_posts(discussion)).encode()
    if key is not None:
        put_fragments({key: b"%d\n%d\n%s%s" % (thread.page.total, len(featured), featured, html)})
    # ``featured`` comes from the autoescaping post template, like the thread.
    return ShownThread(thread.page, sort, marks.following, _with_token(html), Part(featured))


def _unpack(stored: bytes) -> tuple[int, Part, bytes]:
    """The top-level post count, the featured section and the thread of a stored page."""
    total, length, rest = stored.split(b"\n", 2)
    # Rendered by the autoescaping post template (the posts' HTML sanitised when written).
    return int(total), Part(rest[: int(length)]), rest[int(length) :]
