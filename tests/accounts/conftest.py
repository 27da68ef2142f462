from __future__ import annotations

import re

import pytest
from flask import g, request_started

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


@pytest.fixture(autouse=True)
def _fresh_g_per_request(app):
    """Give every request an empty ``g``, as a real server does.

    tests/conftest.py keeps one app context open for the whole test and the test client reuses
    it, so ``g`` would carry Flask-Login's user and Flask-WTF's CSRF token from one request (and
    one client) to the next, and a second browser would be taken for the first.
    """

    def clear(sender, **extra):
        vars(g._get_current_object()).clear()

    request_started.connect(clear, app)
    yield
    request_started.disconnect(clear, app)


@pytest.fixture
def outbox(app):
    """The emails sent during the test.

    Overrides tests/conftest.py's ``outbox``, which empties an attribute of the unbound Mail
    object while the locmem backend appends to the app's mail state.
    """
    state = app.extensions["mailman"]
    state.outbox = []
    return state.outbox


@pytest.fixture
def banned_reader():
    user = factories.make_user("banned@example.org", "Bert Banned")
    ban_user(None, user)
    db.session.commit()
    return user
