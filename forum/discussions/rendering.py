"""A thread's posts as HTML, put together from fragments stored for all readers (see
forum.core.pagecache): a page has hundreds of posts, and most of each is the same for every
reader who may do the same things with it."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import partial
from pathlib import Path

from flask import current_app, get_template_attribute, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

import forum
from forum.core.i18n import current_language
from forum.core.pagecache import fragment_key, get_fragments, put_fragments
from forum.discussions import permissions, queries
from forum.discussions.models import Discussion
from forum.moderation.queries import featured_posts

# Stands in for the viewer's form token in stored fragments. NUL never reaches a page from
# what people type (forms drop control characters), so only the placeholder matches.
TOKEN = "\x00csrf-token\x00"
POST_TEMPLATE = "discussions/_post.html"


def _fragments_version() -> str:
    """Changes with the code, the post template and the translations, so a new release never
    shows a fragment an older one stored (in Redis, fragments outlive a restart): how dates
    are written, the addresses and the rules behind the buttons live in the code."""
    app = current_app._get_current_object()
    version = app.extensions.get("post_fragments_version")
    if version is None:
        digest = hashlib.blake2b(digest_size=8)
        for source in sorted(Path(forum.__file__).parent.rglob("*.py")):
            digest.update(source.read_bytes())
        digest.update(app.jinja_env.loader.get_source(app.jinja_env, POST_TEMPLATE)[0].encode())
        for directory in app.extensions["babel"].translation_directories:
            for catalogue in sorted(Path(directory).glob("*/LC_MESSAGES/*.mo")):
                digest.update(catalogue.read_bytes())
        version = app.extensions["post_fragments_version"] = digest.hexdigest()
    return version


def render_thread(thread: queries.ThreadPage, discussion: Discussion) -> Markup:
    """The thread's posts as the items of a list (``<li>``), replies nested in their own
    lists, each post from fragments stored for all readers where possible
    (forum.core.pagecache), in one look-up and one store per page.

    A post's heading is keyed by everything it shows and the reader's language and zone; its
    buttons by what this reader may do with it (permissions decided once for the page, see
    permissions.ThreadRights), their vote and flag, and the score. The text (stored as HTML
    when written), the pending notice and the form token are added around them per reader.
    Put together here rather than by a recursive macro: a page has hundreds of posts."""
    rights = permissions.ThreadRights(current_user, discussion)
    common = (_fragments_version(), request.script_root, current_language())
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
    token = None
    out: list[str] = []

    def add(post) -> None:
        nonlocal token
        head, actions = parts[post.id]
        out.append('<li class="thread-item">')
        out.append(html[head])
        if not post.is_deleted:
            if post.is_pending:
                out.append(_render("post_status", post, permissions.is_author(current_user, post)))
            out.append(f'<div class="post-body">{post.body_html}</div>')
            shown = html[actions]
            if TOKEN in shown:
                # Asked only when a form needs it: an anonymous reader's page must set no
                # session cookie.
                token = token or generate_csrf()
                shown = shown.replace(TOKEN, token)
            out.append(shown)
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
    # Every piece is markup already: fragments rendered by autoescaping templates, the post's
    # HTML sanitised when it was written, and a form token of our own.
    return Markup("".join(out))  # nosec B704


def _render(macro: str, *args) -> str:
    return str(get_template_attribute(POST_TEMPLATE, macro)(*args))
