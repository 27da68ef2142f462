"""Reads of groups, with visibility applied: a members-only group does not exist for others."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload

from forum.accounts.models import User
from forum.accounts.permissions import is_admin, is_signed_in
from forum.articles.models import Article, article_groups
from forum.core.errors import NotVisible
from forum.core.pagination import Page, paginate
from forum.extensions import db
from forum.groups.models import Group, MemberRole, Membership, MemberState, Visibility
from forum.groups.permissions import can_view_group

GROUPS_PER_PAGE = 20
MEMBERS_PER_PAGE = 50
MEMBERS_ON_GROUP_PAGE = 24


def _visible_to(viewer):
    """Which groups ``viewer`` may know about, as a WHERE clause."""
    if is_admin(viewer):
        return Group.id.is_not(None)
    shown = Group.visibility == Visibility.PUBLIC
    if is_signed_in(viewer):
        member_of = select(Membership.group_id).where(
            Membership.user_id == viewer.id, Membership.state == MemberState.ACTIVE
        )
        shown = or_(shown, Group.id.in_(member_of))
    return shown


def _member_count():
    return (
        select(func.count(Membership.id))
        .where(Membership.group_id == Group.id, Membership.state == MemberState.ACTIVE)
        .correlate(Group)
        .scalar_subquery()
    )


def list_groups(viewer, page: int) -> Page:
    """One page of the directory: rows of (group, active member count), by name."""
    statement = (
        select(Group, _member_count().label("member_count"))
        .where(_visible_to(viewer))
        .order_by(func.lower(Group.name), Group.id)
    )
    return paginate(statement, page, GROUPS_PER_PAGE, scalars=False)


def find_group_by_slug(slug: str) -> Group | None:
    """Any group, visible or not: for the operator's commands."""
    return db.session.scalar(select(Group).where(Group.slug == slug))


def get_group_for(viewer, slug: str) -> Group:
    group = db.session.scalar(select(Group).where(Group.slug == slug))
    if group is None or not can_view_group(viewer, group):
        raise NotVisible("There is no such group.")
    return group


def member_count(group: Group) -> int:
    return db.session.scalar(
        select(func.count(Membership.id)).where(
            Membership.group_id == group.id, Membership.state == MemberState.ACTIVE
        )
    )


def _active_memberships(group: Group, roles: tuple[MemberRole, ...]) -> Select:
    return (
        select(Membership)
        .join(Membership.user)
        .where(
            Membership.group_id == group.id,
            Membership.state == MemberState.ACTIVE,
            Membership.role.in_(roles),
        )
        .options(joinedload(Membership.user))
    )


def group_leaders(group: Group) -> list[Membership]:
    """Organisers first, then the group's moderators, each by name."""
    leaders = list(
        db.session.scalars(
            _active_memberships(group, (MemberRole.ORGANISER, MemberRole.MODERATOR)).order_by(
                func.lower(User.display_name), User.id
            )
        )
    )
    return sorted(leaders, key=lambda m: m.role is not MemberRole.ORGANISER)


def group_members(group: Group, page: int, per_page: int = MEMBERS_PER_PAGE) -> Page:
    """The members who hold no office, by name."""
    statement = _active_memberships(group, (MemberRole.MEMBER,)).order_by(
        func.lower(User.display_name), User.id
    )
    return paginate(statement, page, per_page)


def group_articles(group: Group, page: int) -> Page:
    """The articles the group discusses, newest first; hidden articles are left out."""
    statement = (
        select(Article)
        .join(article_groups, article_groups.c.article_id == Article.id)
        .where(article_groups.c.group_id == group.id, Article.is_hidden.is_(False))
        .order_by(Article.published_at.desc(), Article.id.desc())
    )
    return paginate(statement, page, current_app.config["ARTICLES_PER_PAGE"])
