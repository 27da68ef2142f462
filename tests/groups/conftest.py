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


@pytest.fixture
def member(group):
    user = factories.make_user("member@example.org", "Mia Member")
    make_membership(group, user)
    return user


@pytest.fixture
def group_moderator(group):
    user = factories.make_user("groupmod@example.org", "Gus Groupmod")
    make_membership(group, user, MemberRole.MODERATOR)
    return user


def session_input(**values):
    """A session as an organiser would fill in the form: 19:00–21:00 London time."""
    from datetime import date, time

    from forum.groups.services import SessionInput

    defaults = dict(
        title="Climate migration",
        topic="Climate migration",
        starts_on=date(2030, 3, 7),
        starts_at=time(19, 0),
        ends_at=time(21, 0),
        timezone="Europe/London",
        place="Central Library, Room 2",
    )
    defaults.update(values)
    return SessionInput(**defaults)


def make_session(group, now=None, **values):
    from forum.groups.services import schedule_session

    session = schedule_session(None, group, session_input(**values), now=now)
    db.session.commit()
    return session


def emails_to(address):
    """The emails queued for ``address``, oldest first."""
    from sqlalchemy import select

    from forum.core.mail import OutboxMessage

    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.to_address == address)
            .order_by(OutboxMessage.id)
        )
    )
