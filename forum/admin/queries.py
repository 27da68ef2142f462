"""Reads for the admin area: every account, article and group, hidden ones included."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from forum.accounts.models import User
from forum.admin.models import GroupArchive
from forum.articles.models import Article
from forum.core.errors import NotVisible
from forum.core.pagination import Page, paginate
from forum.discussions.models import Discussion, Post
from forum.extensions import db
from forum.groups.models import Group, MemberRole, Membership, MemberState

PER_PAGE = 30
CHART_DAYS = 14


@dataclass
class DayCount:
    day: date
    posts: int
    members: int


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def user_page(search: str, page: int) -> Page:
    """Accounts whose name, handle or email address contains ``search``, newest first."""
    statement = select(User).order_by(User.id.desc())
    search = search.strip()
    if search:
        pattern = _like(search)
        statement = statement.where(
            or_(
                func.lower(User.display_name).like(pattern, escape="\\"),
                func.lower(User.username).like(pattern, escape="\\"),
                func.lower(User.email).like(pattern, escape="\\"),
            )
        )
    return paginate(statement, page, PER_PAGE)


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotVisible(_("There is no account with that number."))
    return user


def article_page(search: str, page: int) -> Page:
    """Articles (hidden ones too) with their public discussion, newest first."""
    public = (Discussion.article_id == Article.id) & Discussion.group_id.is_(None)
    statement = (
        select(Article, Discussion)
        .outerjoin(Discussion, public)
        .order_by(Article.published_at.desc(), Article.id.desc())
    )
    if search.strip():
        statement = statement.where(func.lower(Article.title).like(_like(search.strip()), "\\"))
    return paginate(statement, page, PER_PAGE, scalars=False)


def get_article(article_id: int) -> Article:
    article = db.session.get(Article, article_id)
    if article is None:
        raise NotVisible(_("There is no article with that number."))
    return article


def get_discussion(discussion_id: int) -> Discussion:
    discussion = db.session.get(Discussion, discussion_id)
    if discussion is None:
        raise NotVisible(_("There is no discussion with that number."))
    return discussion


def group_page(page: int) -> Page:
    statement = (
        select(Group).options(selectinload(Group.memberships).selectinload(Membership.user))
    ).order_by(Group.name)
    return paginate(statement, page, PER_PAGE)


def get_group(group_id: int) -> Group:
    group = db.session.get(Group, group_id)
    if group is None:
        raise NotVisible(_("There is no group with that number."))
    return group


def organisers_of(group: Group) -> list[User]:
    return [
        membership.user
        for membership in group.memberships
        if membership.role is MemberRole.ORGANISER and membership.state is MemberState.ACTIVE
    ]


def _per_day(column, since: datetime) -> dict[str, int]:
    day = func.date(column)
    rows = db.session.execute(select(day, func.count()).where(column >= since).group_by(day))
    return {str(value)[:10]: count for value, count in rows}


def daily_counts(now: datetime, days: int = CHART_DAYS) -> list[DayCount]:
    """Posts written and members joined on each of the last ``days`` days (UTC), oldest first."""
    first = now.date() - timedelta(days=days - 1)
    since = datetime.combine(first, datetime.min.time(), tzinfo=now.tzinfo)
    posts = _per_day(Post.created_at, since)
    members = _per_day(User.created_at, since)
    counts = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        key = day.isoformat()
        counts.append(DayCount(day, posts.get(key, 0), members.get(key, 0)))
    return counts


def archived_group_ids(group_ids: list[int]) -> set[int]:
    return set(
        db.session.scalars(
            select(GroupArchive.group_id).where(GroupArchive.group_id.in_(group_ids))
        )
    )
