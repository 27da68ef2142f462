"""The rules of groups."""

from __future__ import annotations

from sqlalchemy import select

from forum.core.text import slugify
from forum.extensions import db
from forum.groups.models import Group, JoinPolicy, Visibility


def ensure_group(name: str) -> Group:
    """The group called ``name``, created (public, open) if it does not exist yet.

    Found by the slug of its name, so "Great Decisions Discussion group" and the same words
    with other spacing or capitals are one group. Flushes; the caller commits.
    """
    name = " ".join(name.split())
    slug = slugify(name)
    group = db.session.scalar(select(Group).where(Group.slug == slug))
    if group is None:
        group = Group(
            slug=slug,
            name=name,
            description="",
            visibility=Visibility.PUBLIC,
            join_policy=JoinPolicy.OPEN,
        )
        db.session.add(group)
        db.session.flush()
    return group
