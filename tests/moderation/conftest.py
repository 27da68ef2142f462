"""Moderation fixtures: a public discussion, two groups with their own discussions, and the
people of the permission matrix."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.core.text import slugify
from forum.discussions.models import Discussion, PostState
from forum.extensions import db
from forum.groups.models import Group, MemberRole, Membership
from forum.moderation.models import Policy
from tests import factories


def make_group(name: str) -> Group:
    group = Group(slug=slugify(name), name=name)
    db.session.add(group)
    db.session.commit()
    return group


def make_membership(group: Group, user, role: MemberRole = MemberRole.MEMBER) -> Membership:
    membership = Membership(group_id=group.id, user_id=user.id, role=role)
    db.session.add(membership)
    db.session.commit()
    return membership


def make_group_discussion(article, group: Group) -> Discussion:
    discussion = Discussion(article_id=article.id, group_id=group.id)
    db.session.add(discussion)
    db.session.commit()
    return discussion


def make_pending(discussion, author, body: str = "Held for review.", parent=None, **values):
    values.setdefault("hold_reasons", "new user")
    post = factories.make_post(
        discussion, author, body, parent=parent, state=PostState.PENDING, **values
    )
    # make_post counts every post; a held one is not counted until it is published.
    discussion.post_count -= 1
    if parent is not None:
        parent.reply_count -= 1
    db.session.commit()
    return post


def set_policy(group_id=None, discussion_id=None, **values) -> Policy:
    # ``== None`` on a column is IS NULL in SQL.
    found = db.session.scalar(
        select(Policy).where(Policy.group_id == group_id, Policy.discussion_id == discussion_id)
    )
    policy = found or Policy(group_id=group_id, discussion_id=discussion_id)
    for name, value in values.items():
        setattr(policy, name, value)
    db.session.add(policy)
    db.session.commit()
    return policy


def trust(user, posts: int = 3):
    user.approved_post_count = posts
    db.session.commit()
    return user


@pytest.fixture
def article():
    return factories.make_article("Signals Across the Yalu")


@pytest.fixture
def discussion(article):
    return factories.public_discussion(article)


@pytest.fixture
def group():
    return make_group("Great Decisions Discussion group")


@pytest.fixture
def other_group():
    return make_group("Harbour Readers")


@pytest.fixture
def group_discussion(article, group):
    return make_group_discussion(article, group)


@pytest.fixture
def other_group_discussion(article, other_group):
    return make_group_discussion(article, other_group)


@pytest.fixture
def group_moderator(group):
    user = factories.make_user("groupmod@example.org", "Gil Groupmod")
    make_membership(group, user, MemberRole.MODERATOR)
    return user


@pytest.fixture
def other_group_moderator(other_group):
    user = factories.make_user("othermod@example.org", "Oona Othermod")
    make_membership(other_group, user, MemberRole.MODERATOR)
    return user


@pytest.fixture
def group_member(group):
    user = factories.make_user("member@example.org", "Meg Member")
    make_membership(group, user)
    return user


@pytest.fixture
def second_moderator():
    return factories.make_user("second@example.org", "Sam Second", role="moderator")
