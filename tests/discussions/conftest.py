from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
def article():
    return factories.make_article("Signals Across the Yalu")


@pytest.fixture
def discussion(article):
    return factories.public_discussion(article)


@pytest.fixture
def locked_discussion(discussion):
    from forum.extensions import db

    discussion.is_locked = True
    db.session.commit()
    return discussion


@pytest.fixture
def other_discussion():
    return factories.public_discussion(factories.make_article("A Second Article"))


@pytest.fixture(autouse=True)
def _post_moderation():
    """These tests are about threads, not review: the site publishes at once (the moderation
    tests cover holding posts, and the posting path through the policy)."""
    from forum.extensions import db
    from forum.moderation.models import Mode, Policy

    db.session.add(Policy(mode=Mode.NONE, hold_links=False))
    db.session.commit()
