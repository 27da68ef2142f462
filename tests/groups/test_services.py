from __future__ import annotations

from sqlalchemy import func, select

from forum.extensions import db
from forum.groups.models import Group, JoinPolicy, Visibility
from forum.groups.services import ensure_group


def test_ensure_group_creates_a_public_open_group():
    group = ensure_group("Great Decisions Discussion group")
    assert group.id is not None
    assert group.slug == "great-decisions-discussion-group"
    assert group.name == "Great Decisions Discussion group"
    assert group.visibility is Visibility.PUBLIC
    assert group.join_policy is JoinPolicy.OPEN


def test_ensure_group_finds_the_same_group_by_its_slug():
    first = ensure_group("Great Decisions Discussion group")
    db.session.commit()
    again = ensure_group("  great decisions   DISCUSSION group ")
    assert again.id == first.id
    assert again.name == "Great Decisions Discussion group"
    assert db.session.scalar(select(func.count()).select_from(Group)) == 1
