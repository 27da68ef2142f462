"""Signing in to the API: tokens (scopes, revocation, stored hashed) and cookies with CSRF."""

from __future__ import annotations

import re

from sqlalchemy import select

from forum.api.models import ApiToken
from forum.discussions.models import Post
from forum.extensions import db
from tests.api.conftest import bearer, make_token
from tests.conftest import login, post_form


def _post(client, discussion, headers, body="From a script."):
    return client.post(
        f"/api/v1/discussions/{discussion.id}/posts", json={"body": body}, headers=headers
    )


def test_a_token_made_in_settings_is_shown_once_and_kept_only_as_a_hash(client, reader):
    login(client, reader)
    response = post_form(
        client, "/settings/tokens", {"name": "My script", "scope": "write"}, page="/settings/tokens"
    )
    assert response.status_code == 201
    html = response.get_data(as_text=True)
    secret = re.search(r'id="new-token" type="text" value="([^"]+)"', html).group(1)
    assert secret.startswith("forum_")

    stored = db.session.scalar(select(ApiToken))
    assert stored.name == "My script" and stored.scope.value == "write"
    assert secret not in (stored.token_hash, stored.prefix)
    # Listed afterwards by name and its first characters, never the whole secret again.
    listing = client.get("/settings/tokens").get_data(as_text=True)
    assert "My script" in listing and stored.prefix in listing and secret not in listing

    me = client.get("/api/v1/me", headers=bearer(secret))
    assert me.status_code == 200
    assert me.json["username"] == reader.username
    assert me.json["auth"] == "token" and me.json["token_scope"] == "write"


def test_a_token_needs_a_name(client, reader):
    login(client, reader)
    response = post_form(
        client, "/settings/tokens", {"name": "", "scope": "read"}, page="/settings/tokens"
    )
    assert response.status_code == 422
    assert "Name the token" in response.get_data(as_text=True)
    assert db.session.scalar(select(ApiToken)) is None


def test_a_read_token_reads_but_cannot_write(client, reader, discussion, read_token):
    assert (
        client.get(f"/api/v1/discussions/{discussion.id}", headers=bearer(read_token)).status_code
        == 200
    )
    response = _post(client, discussion, bearer(read_token))
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"
    assert "read-only" in response.json["error"]["message"]
    assert db.session.scalar(select(Post)) is None


def test_a_write_token_posts_as_its_owner(client, reader, discussion, write_token):
    response = _post(client, discussion, bearer(write_token))
    assert response.status_code == 201, response.json
    assert response.json["author"]["username"] == reader.username
    assert response.headers["Location"].endswith(f"/api/v1/posts/{response.json['id']}")
    assert db.session.scalar(select(Post)).body_md == "From a script."


def test_a_revoked_token_is_refused_at_once(client, reader, discussion, write_token):
    login(client, reader)
    token = db.session.scalar(select(ApiToken))
    response = post_form(client, f"/settings/tokens/{token.id}/revoke", {}, page="/settings/tokens")
    assert response.status_code == 302
    post_form(client, "/auth/logout", {})
    refused = client.get("/api/v1/me", headers=bearer(write_token))
    assert refused.status_code == 401
    assert refused.json["error"]["code"] == "unauthorized"
    assert "revoked" in refused.json["error"]["message"]
    assert _post(client, discussion, bearer(write_token)).status_code == 401


def test_nobody_revokes_someone_elses_token(client, reader, other_reader):
    make_token(other_reader)
    token = db.session.scalar(select(ApiToken))
    login(client, reader)
    response = post_form(client, f"/settings/tokens/{token.id}/revoke", {}, page="/settings/tokens")
    assert response.status_code == 404
    db.session.refresh(token)
    assert token.revoked_at is None


def test_unknown_and_malformed_tokens_get_401_in_json(client):
    for header in ("Bearer forum_nonsense", "Basic dXNlcjpwYXNz", "Bearer "):
        response = client.get("/api/v1/articles", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert response.is_json and response.json["error"]["status"] == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_cookie_session_writes_only_with_the_csrf_header(client, reader, discussion):
    login(client, reader)
    refused = _post(client, discussion, {})
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "csrf_failed"
    wrong = _post(client, discussion, {"X-CSRFToken": "not-the-token"})
    assert wrong.status_code == 403
    assert db.session.scalar(select(Post)) is None

    me = client.get("/api/v1/me")
    assert me.json["auth"] == "session"
    accepted = _post(client, discussion, {"X-CSRFToken": me.json["csrf_token"]})
    assert accepted.status_code == 201, accepted.json
    assert db.session.scalar(select(Post)).author_id == reader.id


def test_writes_without_anyone_signed_in_get_401(client, discussion):
    response = _post(client, discussion, {})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


def test_the_settings_page_links_to_tokens(client, reader):
    login(client, reader)
    html = client.get("/settings").get_data(as_text=True)
    assert 'href="/settings/tokens"' in html
