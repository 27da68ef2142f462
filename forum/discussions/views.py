"""Discussion pages and the actions on posts. Rules are in services; reads in queries."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import partial
from pathlib import Path

from flask import (
    Blueprint,
    current_app,
    flash,
    get_template_attribute,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

import forum
from forum.core.errors import ValidationFailed
from forum.core.forms import show_refusal
from forum.core.i18n import current_language
from forum.core.pagecache import fragment_key, get_fragments, put_fragments
from forum.discussions import permissions, queries, services
from forum.discussions.forms import CommentForm, EditPostForm, ReplyForm
from forum.discussions.models import Discussion, Post
from forum.extensions import db, limiter
from forum.moderation import services as moderation
from forum.moderation.queries import featured_posts

bp = Blueprint("discussions", __name__)


@bp.app_template_global()
def discussion_url(discussion: Discussion, **params) -> str:
    """Where a discussion is read: for an article's discussion, the article page (a group's
    with ?group=); for a session's, the session page."""
    if discussion.session_id is not None:
        return url_for(
            "groups.show_session",
            slug=discussion.group.slug,
            session_id=discussion.session_id,
            **params,
        )
    if discussion.group_id is not None:
        params.setdefault("group", discussion.group.slug)
    return url_for("articles.show_article", slug=discussion.article.slug, **params)


def _per_person() -> str:
    return f"user:{current_user.id}" if current_user.is_authenticated else get_remote_address()


def posting_limited(view):
    """Posts made (not forms refused) are limited per person and per address, against floods;
    the limits are FORUM settings ``RATELIMIT_POSTING`` and ``RATELIMIT_POSTING_ADDRESS``."""
    made = dict(
        methods=["POST"],
        deduct_when=lambda response: response.status_code == 302,
        error_message="You are posting very quickly. Please wait a minute and try again.",
    )
    view = limiter.limit(
        lambda: current_app.config.get("RATELIMIT_POSTING_ADDRESS", "60 per minute"), **made
    )(view)
    return limiter.limit(
        lambda: current_app.config.get("RATELIMIT_POSTING", "10 per minute"),
        key_func=_per_person,
        **made,
    )(view)


bp.add_app_template_global(permissions.closed_notice, "closed_notice")

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


@bp.app_template_global()
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


def _post_url(post: Post) -> str:
    return url_for("discussions.show_post", post_id=post.id)


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.get("/posts/<int:post_id>")
def show_post(post_id: int):
    """The permalink: the page of its discussion (or continued thread) where the post is."""
    post = queries.get_post_for(current_user, post_id)
    anchor = queries.thread_anchor(post)
    if anchor is not None:
        return redirect(url_for(".show_thread", post_id=anchor.id, _anchor=f"post-{post.id}"))
    page = queries.page_of_root(queries.root_of(post))
    return redirect(
        discussion_url(post.discussion, page=page if page > 1 else None, _anchor=f"post-{post.id}")
    )


@bp.get("/posts/<int:post_id>/thread")
def show_thread(post_id: int):
    post = queries.get_post_for(current_user, post_id)
    thread = queries.continued_thread(current_user, post)
    return render_template(
        "discussions/thread.html", post=post, discussion=post.discussion, thread=thread
    )


def publish(
    form,
    discussion: Discussion,
    parent: Post | None,
    template: str,
    done: Callable[[Post], str] = _post_url,
    **context,
):
    """Post the form's text and go to ``done(post)``; on refusal show ``template`` again with
    the form's errors and the text kept. The embedded discussion posts through it too."""
    if form.validate_on_submit() and form.website.data:
        # Only a robot fills in the field people are asked to leave empty.
        form.form_errors.append(
            _("The post was not accepted: leave the last field empty, and post again.")
        )
    elif form.validate_on_submit():
        try:
            post = services.post_reply(current_user, discussion, parent, form.body.data)
        except services.DuplicatePost as duplicate:
            db.session.rollback()
            flash(duplicate.message, "info")
            return redirect(done(duplicate.post))
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            if post.is_pending:
                flash(
                    _(
                        "Thank you. A moderator will review your post before others see "
                        "it; until then only you can see it, marked “awaiting review”."
                    ),
                    "info",
                )
            else:
                flash(_("Your post is published."), "success")
            return redirect(done(post))
    status = 422 if request.method == "POST" else 200
    return render_template(
        template, form=form, discussion=discussion, parent=parent, **context
    ), status


@bp.post("/discussions/<int:discussion_id>/posts")
@login_required
@posting_limited
def create_post(discussion_id: int):
    discussion = queries.get_discussion_for(current_user, discussion_id)
    return publish(CommentForm(), discussion, None, "discussions/compose.html")


@bp.route("/posts/<int:post_id>/reply", methods=["GET", "POST"])
@login_required
@posting_limited
def reply_to_post(post_id: int):
    parent = queries.get_post_for(current_user, post_id)
    if request.method == "GET":
        permissions.require_reply(current_user, parent.discussion)
    return publish(ReplyForm(), parent.discussion, parent, "discussions/compose.html")


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit_post(post_id: int):
    post = queries.get_post_for(current_user, post_id)
    form = EditPostForm(data={"body": post.body_md} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.edit_post(current_user, post, form.body.data)
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(_("Your changes are saved."), "success")
            return redirect(_post_url(post))
    elif request.method == "GET":
        permissions.require_edit_post(current_user, post)
    status = 422 if form.errors else 200
    return render_template("discussions/edit.html", form=form, post=post), status


@bp.route("/posts/<int:post_id>/delete", methods=["GET", "POST"])
@login_required
def delete_post(post_id: int):
    post = queries.get_post_for(current_user, post_id)
    if request.method == "GET":
        permissions.require_delete_post(current_user, post)
        return render_template("discussions/delete.html", post=post)
    if permissions.is_author(current_user, post):
        services.delete_post(current_user, post)
    else:
        # A moderator removing someone else's post: the moderation log records it.
        moderation.delete_post(current_user, post)
    db.session.commit()
    flash(_("The post is deleted."), "success")
    return redirect(_post_url(post))


@bp.post("/posts/<int:post_id>/vote")
@login_required
def vote_post(post_id: int):
    post = queries.get_post_for(current_user, post_id)
    voted = services.toggle_vote(current_user, post)
    db.session.commit()
    if _wants_json():
        return jsonify(score=post.score, voted=voted)
    return redirect(_post_url(post))


@bp.get("/posts/<int:post_id>/revisions")
def list_revisions(post_id: int):
    post = queries.get_post_for(current_user, post_id)
    return render_template(
        "discussions/revisions.html", post=post, revisions=queries.revisions_of(post)
    )


@bp.post("/discussions/<int:discussion_id>/follow")
@login_required
def follow_discussion(discussion_id: int):
    discussion = queries.get_discussion_for(current_user, discussion_id)
    following = request.form.get("follow") == "1"
    services.set_following(current_user, discussion, following)
    db.session.commit()
    flash(
        _("You are following this discussion.") if following else _("You no longer follow it."),
        "success",
    )
    return redirect(discussion_url(discussion, _anchor="discussion"))


@bp.post("/discussions/<int:discussion_id>/lock")
@login_required
def lock_discussion(discussion_id: int):
    discussion = queries.get_discussion_for(current_user, discussion_id)
    locked = request.form.get("locked") == "1"
    # Through moderation, so the log records who closed or reopened it.
    moderation.lock_discussion(current_user, discussion, locked)
    db.session.commit()
    flash(
        _("The discussion is closed.") if locked else _("The discussion is open again."), "success"
    )
    return redirect(discussion_url(discussion, _anchor="discussion"))
