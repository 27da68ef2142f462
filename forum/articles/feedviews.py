"""Feeds: the Atom feeds of discussions and groups, the page that lists them, and the admin
page of the feeds the site follows (/admin/feeds). The article feed itself stays with the
articles (articles.show_feed)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forum.articles import atom, feeds, permissions, queries
from forum.articles.forms import FeedActionForm, FeedForm
from forum.core.errors import ValidationFailed
from forum.core.forms import show_refusal
from forum.core.pagination import page_number
from forum.discussions.models import Discussion, Post
from forum.extensions import db
from forum.groups import queries as group_queries

bp = Blueprint("feeds", __name__)


@bp.get("/feeds/")
def list_feeds():
    groups = group_queries.list_groups(current_user, page_number(request.args.get("page")))
    return render_template("feeds/index.html", groups=groups)


@bp.get("/feeds/articles/<slug>/discussion.atom")
def show_discussion_feed(slug: str):
    article = queries.get_article_for(current_user, slug)
    discussion, _groups = group_queries.article_discussions(current_user, article)
    posts = queries.discussion_feed_posts(discussion)
    changed = queries.last_post_change(Post.discussion_id == discussion.id)
    return atom.atom_response(
        "feeds/entries.atom.xml",
        max(filter(None, (changed, article.updated_at))),
        title=_("Discussion of “%(title)s”", title=article.title),
        subtitle=_("The newest comments in the article's discussion."),
        self_url=atom.absolute(".show_discussion_feed", slug=article.slug),
        page_url=atom.absolute("articles.show_article", slug=article.slug),
        entries=[atom.post_entry(post) for post in posts],
    )


@bp.get("/feeds/groups/<slug>/sessions.atom")
def show_group_sessions_feed(slug: str):
    group = group_queries.get_group_for(current_user, slug)
    sessions = queries.group_feed_sessions(group)
    return atom.atom_response(
        "feeds/entries.atom.xml",
        max((session.updated_at for session in sessions), default=group.created_at),
        title=_("%(group)s: sessions", group=group.name),
        subtitle=_("The group's sessions, latest first; a cancellation updates its entry."),
        self_url=atom.absolute(".show_group_sessions_feed", slug=group.slug),
        page_url=atom.absolute("groups.show_group", slug=group.slug),
        entries=[atom.session_entry(session) for session in sessions],
    )


@bp.get("/feeds/groups/<slug>/posts.atom")
def show_group_posts_feed(slug: str):
    group = group_queries.get_group_for(current_user, slug)
    posts = queries.group_feed_posts(group)
    changed = queries.last_post_change(Discussion.group_id == group.id)
    return atom.atom_response(
        "feeds/entries.atom.xml",
        changed or group.created_at,
        title=_("%(group)s: posts", group=group.name),
        subtitle=_("The newest posts in the group's discussions of articles and sessions."),
        self_url=atom.absolute(".show_group_posts_feed", slug=group.slug),
        page_url=atom.absolute("groups.show_group", slug=group.slug),
        entries=[atom.post_entry(post) for post in posts],
    )


# Feeds the site follows (administrators) -----------------------------------------------------


def _admin_page(form: FeedForm, status: int = 200):
    page = queries.feed_page(page_number(request.args.get("page")))
    return (
        render_template("articles/feeds.html", page=page, form=form),
        status,
    )


@bp.get("/admin/feeds")
@login_required
def admin_feeds():
    permissions.require_manage_feeds(current_user)
    return _admin_page(FeedForm())


@bp.post("/admin/feeds")
@login_required
def add_feed():
    permissions.require_manage_feeds(current_user)
    form = FeedForm()
    if form.validate_on_submit():
        try:
            feed = feeds.add_feed(current_user, form.url.data)
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(
                _("The site follows %(url)s now; the worker polls it shortly.", url=feed.url),
                "success",
            )
            return redirect(url_for(".admin_feeds"))
    return _admin_page(form, 400)


def _acted_on(feed_id: int):
    permissions.require_manage_feeds(current_user)
    if not FeedActionForm().validate_on_submit():
        abort(400, _("This form had expired; reload the page and try again."))
    return queries.get_feed(feed_id)


def _poll_message(result: feeds.PollResult) -> str:
    """The poll's outcome in the admin's language. The feed's row shows the report stored for
    it (the worker's, in English, as the logs and `forum import` write it)."""
    if result.status == "not modified":
        return _("The feed has not changed since the last poll.")
    if result.status == "failed" or result.report is None:
        return _("The poll failed: %(reason)s", reason=result.message)
    report = result.report
    return _(
        "Polled: %(created)s created, %(updated)s updated, %(skipped)s skipped, %(failed)s failed.",
        created=len(report.created),
        updated=len(report.updated),
        skipped=len(report.skipped),
        failed=len(report.failed),
    )


@bp.post("/admin/feeds/<int:feed_id>/poll")
@login_required
def poll_feed(feed_id: int):
    result = feeds.poll_now(current_user, _acted_on(feed_id))
    flash(_poll_message(result), "error" if result.status == "failed" else "success")
    return redirect(url_for(".admin_feeds"))


@bp.post("/admin/feeds/<int:feed_id>/delete")
@login_required
def remove_feed(feed_id: int):
    feed = _acted_on(feed_id)
    url = feed.url
    feeds.remove_feed(current_user, feed)
    db.session.commit()
    flash(
        _("The site no longer follows %(url)s; the articles it brought stay.", url=url), "success"
    )
    return redirect(url_for(".admin_feeds"))
