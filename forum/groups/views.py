"""Pages of groups: the directory, each group's page and its full member list."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from forum.core.pagination import page_number
from forum.groups import queries

bp = Blueprint("groups", __name__)


@bp.get("/groups/")
def list_groups():
    page = queries.list_groups(current_user, page_number(request.args.get("page")))
    return render_template("groups/list.html", page=page)


@bp.get("/groups/<slug>")
def show_group(slug: str):
    group = queries.get_group_for(current_user, slug)
    return render_template(
        "groups/show.html",
        group=group,
        leaders=queries.group_leaders(group),
        members=queries.group_members(group, 1, queries.MEMBERS_ON_GROUP_PAGE),
        member_count=queries.member_count(group),
        articles=queries.group_articles(group, page_number(request.args.get("page"))),
    )


@bp.get("/groups/<slug>/members")
def list_members(slug: str):
    group = queries.get_group_for(current_user, slug)
    return render_template(
        "groups/members.html",
        group=group,
        leaders=queries.group_leaders(group),
        members=queries.group_members(group, page_number(request.args.get("page"))),
        member_count=queries.member_count(group),
    )
