"""Fixtures for the API: tokens, JSON requests, and some content to read and write."""

from __future__ import annotations

import pytest

from forum.api import services
from forum.extensions import db
from forum.groups.models import MemberRole
from forum.groups.services import ensure_group
from tests import factories
from tests.groups.conftest import make_membership, make_session


def make_token(user, scope: str = "write", name: str = "script") -> str:
    _token, raw = services.create_token(user, name, scope)
    db.session.commit()
    return raw


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def write_token(reader) -> str:
    return make_token(reader, "write")


@pytest.fixture
def read_token(reader) -> str:
    return make_token(reader, "read", "read only")


@pytest.fixture
def article():
    return factories.make_article("Beijing Signals")


@pytest.fixture
def discussion(article):
    return factories.public_discussion(article)


@pytest.fixture
def thread(discussion, other_reader):
    """A top-level post with a reply, and a reply to that."""
    root = factories.make_post(discussion, other_reader, "The opening comment.")
    reply = factories.make_post(discussion, other_reader, "A reply.", parent=root)
    deeper = factories.make_post(discussion, other_reader, "A reply to the reply.", parent=reply)
    return root, reply, deeper


@pytest.fixture
def group(reader):
    group = ensure_group("Great Decisions Discussion group")
    db.session.commit()
    make_membership(group, reader, MemberRole.MEMBER)
    return group


@pytest.fixture
def group_session(group):
    return make_session(group, capacity=1)
