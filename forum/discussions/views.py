"""Discussion pages and the actions on posts. Rules are in services; reads in queries."""

from __future__ import annotations

from collections.abc import Callable

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from forum.core.errors import ValidationFailed
from forum.core.forms import show_refusal
from forum.discussions import permissions, queries, services
from forum.discussions.forms import CommentForm, EditPostForm, ReplyForm
from forum.discussions.models import Discussion, Post
from forum.discussions.rendering import render_thread
from forum.extensions import db, limiter
from forum.moderation import services as moderation

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
bp.add_app_template_global(render_thread, "render_thread")


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
    valid = form.validate_on_submit()
    if valid and form.website.data:
        # Only a robot fills in the field people are asked to leave empty.
        form.form_errors.append(
            _("The post was not accepted: leave the last field empty, and post again.")
        )
    elif valid:
        try:
            post = services.post_reply(current_user, discussion, parent, form.body.data)
        except services.DuplicatePost as duplicate:
            existing = done(duplicate.post)
            db.session.rollback()
            flash(duplicate.message, "info")
            return redirect(existing)
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            # Read before the commit expires the post: after it, each would cost a query.
            held, destination = post.is_pending, done(post)
            db.session.commit()
            if held:
                flash(
                    _(
                        "Thank you. A moderator will review your post before others see "
                        "it; until then only you can see it, marked “awaiting review”."
                    ),
                    "info",
                )
            else:
                flash(_("Your post is published."), "success")
            return redirect(destination)
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
