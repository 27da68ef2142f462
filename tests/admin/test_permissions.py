"""The permission matrix: every page and action under /admin (the admin area's own, and the
other domains' admin pages: mail, feeds, webhooks), for each persona. Only administrators in
good standing get in. The routes are read from the app, so a page added later is covered."""

from __future__ import annotations

from datetime import timedelta

import pytest

from forum.accounts.models import UserStatus
from forum.core.db import utc_now
from forum.extensions import db
from tests.conftest import csrf_token, login

OWN_AREA = "Only administrators can use the admin area."


@pytest.fixture
def admin_routes(app, reader, article, discussion, group):
    """(method, url) of every route under /admin, with real ids in its variables (ids of
    things no fixture makes, a mail message or a feed, are 1: admins get a 404 there)."""
    values = {
        "user_id": reader.id,
        "article_id": article.id,
        "discussion_id": discussion.id,
        "group_id": group.id,
    }
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin"):
            continue
        changes = sorted(rule._converters["change"].items) if "change" in rule.arguments else [""]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for change in changes:
                arguments = {name: values.get(name, 1) for name in rule.arguments}
                if change:
                    arguments["change"] = change
                url = rule.build(arguments, append_unknown=False)[1]
                found.append((method, url, rule.endpoint))
    assert len([route for route in found if route[2].startswith("admin.")]) >= 15, found
    return found


def _ask(client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    # A real token, so a refusal is the permission's and not the CSRF check's.
    return client.post(url, data={"csrf_token": csrf_token(client)})


def test_anonymous_visitors_are_sent_to_log_in(client, admin_routes):
    for method, url, _endpoint in admin_routes:
        response = _ask(client, method, url)
        assert response.status_code == 302, (method, url)
        assert response.headers["Location"].startswith("/auth/login"), (method, url)


@pytest.mark.parametrize("persona", ["reader", "moderator", "organiser"])
def test_members_who_are_not_admins_are_refused(client, admin_routes, persona, request):
    login(client, request.getfixturevalue(persona))
    for method, url, endpoint in admin_routes:
        response = _ask(client, method, url)
        assert response.status_code == 403, (method, url, response.status_code)
        if endpoint.startswith("admin."):
            assert OWN_AREA in response.get_data(as_text=True)


def test_a_suspended_admin_is_refused(client, admin, admin_routes):
    login(client, admin)
    # Suspended as moderation does it: the session goes on (they may read), the area closes.
    admin.status = UserStatus.BANNED
    admin.banned_until = utc_now() + timedelta(days=3)
    db.session.commit()
    for method, url, endpoint in admin_routes:
        if endpoint.startswith("admin."):
            assert _ask(client, method, url).status_code == 403, (method, url)


def test_admins_see_every_page(client, admin, admin_routes):
    login(client, admin)
    for method, url, endpoint in admin_routes:
        if method != "GET":
            continue
        expected = 200 if endpoint.startswith("admin.") or "/1" not in url else 404
        assert client.get(url).status_code == expected, url


def test_only_admins_see_the_admin_link(client, admin, moderator):
    login(client, moderator)
    assert 'href="/admin/"' not in client.get("/").get_data(as_text=True)
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, admin)
    assert 'href="/admin/"' in client.get("/").get_data(as_text=True)
