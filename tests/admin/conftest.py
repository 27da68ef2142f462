"""Admin fixtures: one of each thing the admin pages act on."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from forum.admin import settings
from forum.extensions import db
from forum.groups.models import MemberRole, Membership
from forum.groups.services import ensure_group
from forum.moderation.models import Action, AuditEntry
from tests import factories


@pytest.fixture(autouse=True)
def _settings_forgotten(app):
    """The app keeps the settings it read; the next test's empty database has none stored,
    which is what it is left knowing (so its first page costs no extra query)."""
    yield
    app.extensions[settings.CACHE_KEY] = ({}, time.monotonic())


@pytest.fixture
def article():
    return factories.make_article("Beijing Signals")


@pytest.fixture
def discussion(article):
    return factories.public_discussion(article)


@pytest.fixture
def group():
    group = ensure_group("Great Decisions Discussion group")
    db.session.commit()
    return group


@pytest.fixture
def organiser(group):
    user = factories.make_user("organiser@example.org", "Olga Organiser")
    db.session.add(Membership(group_id=group.id, user_id=user.id, role=MemberRole.ORGANISER))
    db.session.commit()
    return user


def admin_log() -> list[AuditEntry]:
    """The audit log's admin rows, oldest first."""
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == Action.ADMIN).order_by(AuditEntry.id)
        )
    )
