"""Article pages: the home page, the list, an article with its discussion, the editor, the
feed. Rules are in services; reads in queries."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forum.articles import permissions, queries, services
from forum.articles.atom import atom_response
from forum.articles.forms import ArticleForm
from forum.articles.models import Article
from forum.articles.rendering import article_html
from forum.articles.textformat import figures_to_lines, readings_to_lines
from forum.core.errors import ValidationFailed
from forum.core.forms import show_refusal
from forum.core.pagination import page_number
from forum.discussions.rendering import shown_thread
from forum.extensions import db

bp = Blueprint("articles", __name__)

HOME_ARTICLES = 5


@bp.get("/")
def home():
    return render_template(
        "articles/home.html", latest=queries.latest_articles(current_user, HOME_ARTICLES)
    )


@bp.get("/articles/")
def list_articles():
    page = queries.article_page(current_user, page_number(request.args.get("page")))
    return render_template("articles/list.html", page=page)


@bp.get("/articles/<slug>")
def show_article(slug: str):
    shown = queries.get_article_page(current_user, slug)
    discussion = shown.discussion
    group_slug = request.args.get("group")
    if group_slug:
        # A group's own discussion of the article, shown in place of the public one.
        chosen = [d for d in shown.group_discussions if d.group.slug == group_slug]
        if not chosen:
            abort(404, _("This group has no discussion of this article that you can see."))
        discussion = chosen[0]
    thread = shown_thread(
        current_user,
        discussion,
        page_number(request.args.get("page")),
        request.args.get("sort", "oldest"),
    )
    return render_template(
        "articles/show.html",
        article=shown.article,
        article_html=article_html(shown, discussion),
        discussion=discussion,
        thread=thread,
    )


def _input(form: ArticleForm) -> services.ArticleInput:
    return services.ArticleInput(
        title=form.title.data or "",
        body_md=form.body_md.data or "",
        publication=form.publication.data or "",
        author_name=form.author_name.data or "",
        author_bio=form.author_bio.data or "",
        published_on=form.published_on.data,
        figure_lines=form.figure_lines.data or "",
        reading_lines=form.reading_lines.data or "",
        group_lines=form.group_lines.data or "",
        is_hidden=form.is_hidden.data,
    )


def _save(form: ArticleForm, article: Article | None):
    """Save the submitted article, or show the form again with the error beside its field."""
    if form.validate_on_submit():
        try:
            article = services.save_article(current_user, article, _input(form))
        except ValidationFailed as error:
            show_refusal(form, error)
        else:
            db.session.commit()
            flash(_("The article is saved."), "success")
            return redirect(url_for(".show_article", slug=article.slug))
    status = 400 if form.errors else 200
    return render_template("articles/edit.html", form=form, article=article), status


@bp.route("/articles/new", methods=["GET", "POST"])
@login_required
def new_article():
    permissions.require_edit_articles(current_user)
    return _save(ArticleForm(), None)


@bp.route("/articles/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit_article(slug: str):
    permissions.require_edit_articles(current_user)
    article = queries.get_article_for(current_user, slug)
    form = ArticleForm(obj=article)
    if request.method == "GET":
        form.published_on.data = article.published_at.date()
        form.figure_lines.data = figures_to_lines(article.figures)
        form.reading_lines.data = readings_to_lines(article.further_reading)
        form.group_lines.data = "\n".join(group.name for group in article.groups)
    return _save(form, article)


@bp.get("/feeds/articles.atom")
def show_feed():
    articles = queries.feed_articles()
    return atom_response(
        "feeds/articles.atom.xml",
        max((article.updated_at for article in articles), default=None),
        articles=articles,
        base_url=current_app.config["BASE_URL"].rstrip("/"),
        # Said here: the feed templates are XML, which the catalogue does not read.
        title=_("%(site)s: articles", site=current_app.config["SITE_NAME"]),
        subtitle=_("New articles, each with its discussion."),
    )
