"""The search page. Reads are in queries; the form only checks the shape of the input."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from forum.accounts.queries import find_user_by_username
from forum.articles.queries import get_article_for
from forum.core.errors import NotVisible
from forum.core.pagination import page_number
from forum.groups.queries import get_group_for
from forum.search import queries
from forum.search.forms import SearchForm

bp = Blueprint("search", __name__)


def _filters(form: SearchForm) -> queries.Filters | None:
    """The form's filters, or None with an error beside each name that finds nothing."""
    filters = queries.Filters()
    if form.article.data:
        try:
            filters.article = get_article_for(current_user, form.article.data.strip())
        except NotVisible:
            form.article.errors.append(_("There is no article at that address."))
    if form.group.data:
        try:
            filters.group = get_group_for(current_user, form.group.data.strip())
        except NotVisible:
            form.group.errors.append(_("There is no group with that address name."))
    if form.author.data:
        filters.author = find_user_by_username(form.author.data.strip().lstrip("@"))
        if filters.author is None:
            form.author.errors.append(_("There is nobody with that user name."))
    if form.since.data:
        filters.since = datetime.combine(form.since.data, time(), UTC)
    if form.until.data:
        filters.until = datetime.combine(form.until.data + timedelta(days=1), time(), UTC)
    if any(field.errors for field in form):
        return None
    return filters


@bp.get("/search")
def search():
    form = SearchForm(request.args)
    results = None
    status = 200
    if request.args:
        # Validated first (that clears errors), then every name looked up, so each field with a
        # problem says so at once.
        valid = form.validate()
        filters = _filters(form)
        if not valid or filters is None:
            status = 400
        else:
            results = queries.search(
                current_user, form.q.data, page_number(request.args.get("page")), filters
            )
    args = {key: value for key, value in request.args.items() if key != "page" and value}
    return render_template("search/results.html", form=form, results=results, args=args), status
