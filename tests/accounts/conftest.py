from __future__ import annotations

import re

import pytest

from forum.accounts.services import ban_user
from forum.extensions import db
from tests import factories

BASE_URL = "http://forum.test"
_LINK = re.compile(re.escape(BASE_URL) + r"(/[^\s\"<>]+)")


def link_in(message) -> str:
    """The site path of the one link in an email, checked in both its text and HTML parts."""
    text_links = _LINK.findall(message.body)
    assert len(text_links) == 1, message.body
    html = message.alternatives[0][0]
    assert f'href="{BASE_URL}{text_links[0]}"' in html
    return text_links[0]


@pytest.fixture
def banned_reader():
    user = factories.make_user("banned@example.org", "Bert Banned")
    ban_user(None, user)
    db.session.commit()
    return user
