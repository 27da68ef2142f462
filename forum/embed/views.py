"""The embedded discussion (``/embed/articles/<slug>``, framed by the allowed sites), the page
the login popup ends on, and the comment counts for a blog's article lists (CORS for allowed
sites)."""

from __future__ import annotations

from contextlib import nullcontext

from flask import Blueprint, jsonify, render_template, request, url_for
from flask_babel import force_locale, format_number, ngettext
from flask_login import current_user, login_required

from forum.articles.queries import get_article_for
from forum.core.i18n import LANGUAGES
from forum.core.pagination import page_number
from forum.discussions.forms import CommentForm
from forum.discussions.queries import get_public_discussion, thread_page
from forum.discussions.views import posting_limited, publish
from forum.embed import queries, sites

bp = Blueprint("embed", __name__, url_prefix="/embed")

MAX_COUNTED = 100


def _discussion_of(slug: str):
    article = get_article_for(current_user, slug)
    return article, get_public_discussion(article)


@bp.get("/articles/<slug>")
def show_discussion(slug: str):
    article, discussion = _discussion_of(slug)
    thread = thread_page(current_user, discussion, page_number(request.args.get("page")), "oldest")
    return render_template(
        "embed/discussion.html",
        article=article,
        discussion=discussion,
        thread=thread,
        form=CommentForm(),
    )


@bp.post("/articles/<slug>")
@login_required
@posting_limited
def post_comment(slug: str):
    article, discussion = _discussion_of(slug)
    thread = thread_page(current_user, discussion, 1, "oldest")
    return publish(
        CommentForm(),
        discussion,
        None,
        "embed/discussion.html",
        done=lambda post: url_for("embed.show_discussion", slug=slug, _anchor=f"post-{post.id}"),
        article=article,
        thread=thread,
    )


@bp.get("/signed-in")
@login_required
def signed_in():
    """Where the login popup lands: it tells the discussion that opened it, then closes."""
    return render_template("embed/signed_in.html")


def _host_language():
    """The language of the blog's page (``?lang=``, its <html lang>) when Forum has it, so the
    counts read like the text around them; otherwise the reader's (their Accept-Language)."""
    code = request.args.get("lang", "").split("-")[0].lower()
    return force_locale(code) if code in LANGUAGES else nullcontext()


@bp.get("/counts")
def comment_counts():
    """``{"counts": {"<slug or url>": n}, "labels": {"<slug or url>": "n comments"}}`` for
    ``?slug=...`` and ``?url=...`` (repeatable); ``labels`` are written for people, in the
    language of ``?lang=`` or else the reader's."""
    slugs = request.args.getlist("slug")[:MAX_COUNTED]
    urls = request.args.getlist("url")[:MAX_COUNTED]
    counts = queries.comment_counts(slugs, urls)
    with _host_language():
        labels = {
            key: ngettext("%(count)s comment", "%(count)s comments", n, count=format_number(n))
            for key, n in counts.items()
        }
    response = jsonify(counts=counts, labels=labels)
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


@bp.after_request
def _cross_site_headers(response):
    if request.endpoint == "embed.comment_counts":
        origin = request.headers.get("Origin")
        if sites.is_allowed(origin):
            response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin, Accept-Language"
    elif request.endpoint in ("embed.show_discussion", "embed.post_comment"):
        response.headers["Content-Security-Policy"] = sites.framing_policy()
        # X-Frame-Options cannot name sites; frame-ancestors replaces it in every browser.
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
