from __future__ import annotations

import pytest

from forum.extensions import db
from forum.groups.models import MemberRole, Membership, MemberState, Visibility
from forum.groups.services import ensure_group
from tests import factories


def make_membership(group, user, role=MemberRole.MEMBER, state=MemberState.ACTIVE):
    membership = Membership(group_id=group.id, user_id=user.id, role=role, state=state)
    db.session.add(membership)
    db.session.commit()
    return membership


@pytest.fixture
def group():
    group = ensure_group("Great Decisions Discussion group")
    group.description = "We meet on Thursdays.\n\nEveryone is welcome."
    db.session.commit()
    return group


@pytest.fixture
def private_group():
    group = ensure_group("Policy Staff Circle")
    group.visibility = Visibility.MEMBERS
    group.description = "A closed circle."
    db.session.commit()
    return group


@pytest.fixture
def organiser(group):
    user = factories.make_user("organiser@example.org", "Olga Organiser")
    make_membership(group, user, MemberRole.ORGANISER)
    return user
