"""Anonymous readers get cached pages that are never stale: any write makes a new version."""

from __future__ import annotations

import pytest
from sqlalchemy import text, update

from forum.core.pagecache import READ_VERSION, RedisPageStore
from forum.discussions.models import Post, PostState
from forum.extensions import db
from tests import factories
from tests.conftest import count_queries, login, one_connection_app, require_redis


@pytest.fixture
def article():
    return factories.make_article("Cached Arctic Article")


@pytest.fixture
def discussion(article):
    return factories.public_discussion(article)


def url(article) -> str:
    return f"/articles/{article.slug}"


def test_a_second_anonymous_read_is_served_from_the_cache_with_one_query(
    client, reader, article, discussion
):
    factories.make_post(discussion, reader, "First comment.")
    first = client.get(url(article))
    assert first.headers["X-Page-Cache"] == "miss"
    with count_queries() as queries:
        second = client.get(url(article))
    assert second.headers["X-Page-Cache"] == "hit"
    assert second.get_data() == first.get_data()
    assert len(queries) == 1
    # The security headers are the same on a cached page.
    assert second.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]


def test_a_new_post_is_shown_at_once(client, reader, article, discussion):
    client.get(url(article))
    factories.make_post(discussion, reader, "A brand new comment.")
    response = client.get(url(article))
    assert response.headers["X-Page-Cache"] == "miss"
    assert "A brand new comment." in response.get_data(as_text=True)


def test_a_moderation_decision_by_a_bulk_statement_is_shown_at_once(
    client, reader, article, discussion
):
    post = factories.make_post(discussion, reader, "Soon to be rejected.")
    client.get(url(article))
    assert client.get(url(article)).headers["X-Page-Cache"] == "hit"
    # Written as a bulk statement, which no ORM event sees: the engine-level hook does.
    db.session.execute(update(Post).where(Post.id == post.id).values(state=PostState.REJECTED))
    db.session.commit()
    assert "Soon to be rejected." not in client.get(url(article)).get_data(as_text=True)


def test_a_hidden_article_is_gone_at_once(client, article, discussion):
    client.get(url(article))
    article.is_hidden = True
    db.session.commit()
    assert client.get(url(article)).status_code == 404


def test_a_write_rolled_back_changes_nothing_and_keeps_the_cache(client, article, discussion):
    client.get(url(article))
    article.title = "Never saved"
    db.session.flush()
    db.session.rollback()
    response = client.get(url(article))
    assert response.headers["X-Page-Cache"] == "hit"
    assert "Never saved" not in response.get_data(as_text=True)


def test_signed_in_readers_are_never_served_from_the_cache(client, reader, article, discussion):
    client.get(url(article))
    client.get(url(article))
    login(client, reader)
    response = client.get(url(article))
    assert "X-Page-Cache" not in response.headers
    assert "Log out" in response.get_data(as_text=True)


def test_pages_outside_the_list_are_not_cached(client, app):
    assert "search.search" not in app.config["PAGE_CACHE_ENDPOINTS"]
    client.get("/search?q=arctic")
    assert "X-Page-Cache" not in client.get("/search?q=arctic").headers


def test_a_page_holding_a_visitors_form_token_is_never_stored(client, app, monkeypatch):
    # Were a listed page to show a form, the token of the visitor who rendered it first
    # (their session already made, so no new cookie) must not be served to everyone else.
    monkeypatch.setitem(
        app.config, "PAGE_CACHE_ENDPOINTS", (*app.config["PAGE_CACHE_ENDPOINTS"], "accounts.login")
    )
    client.get("/auth/login")
    client.get("/auth/login")

    other = app.test_client()
    assert other.get("/auth/login").headers.get("X-Page-Cache") != "hit"


def test_a_browser_asking_again_gets_a_304_until_the_page_changes(
    client, reader, article, discussion
):
    first = client.get(url(article))
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache"

    again = client.get(url(article), headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""

    factories.make_post(discussion, reader, "Something new to read.")
    changed = client.get(url(article), headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert "Something new to read." in changed.get_data(as_text=True)
    assert changed.headers["ETag"] != etag


@pytest.fixture
def redis_store(app):
    """The app's page cache in Redis for one test, as it is with FORUM_REDIS_URL set."""
    redis_url = require_redis()

    def new_store() -> RedisPageStore:
        return RedisPageStore(redis_url, app.config["PAGE_CACHE_MAX_BYTES"], 60)

    in_process = app.extensions["page_cache"]
    store = new_store()
    store.clear()
    app.extensions["page_cache"] = store
    yield new_store
    store.clear()
    app.extensions["page_cache"] = in_process


def test_with_redis_a_page_rendered_by_one_instance_is_served_by_another(
    app, client, reader, article, discussion, redis_store
):
    factories.make_post(discussion, reader, "Rendered once for everyone.")
    assert client.get(url(article)).headers["X-Page-Cache"] == "miss"

    # Another instance: its own connection to the same Redis.
    app.extensions["page_cache"] = redis_store()
    second = client.get(url(article))
    assert second.headers["X-Page-Cache"] == "hit"
    assert "Rendered once for everyone." in second.get_data(as_text=True)

    factories.make_post(discussion, reader, "A later comment.")
    third = client.get(url(article))
    assert third.headers["X-Page-Cache"] == "miss"
    assert "A later comment." in third.get_data(as_text=True)


def test_with_redis_gone_pages_are_rendered_as_usual(app, client, article, discussion):
    # Nothing listens on port 1: every cache call fails at once.
    app.extensions["page_cache"], in_process = (
        RedisPageStore("redis://127.0.0.1:1/0", app.config["PAGE_CACHE_MAX_BYTES"], 60),
        app.extensions["page_cache"],
    )
    try:
        page = client.get(url(article))
    finally:
        app.extensions["page_cache"] = in_process
    assert page.status_code == 200
    assert article.title in page.get_data(as_text=True)


def test_after_the_database_drops_the_version_readers_connection_pages_still_answer(
    app, client, reader, article, discussion
):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the version is read on a connection kept open on PostgreSQL only")
    factories.make_post(discussion, reader, "Still here after a restart.")
    client.get(url(article))
    assert client.get(url(article)).headers["X-Page-Cache"] == "hit"
    # What a server restart or an idle timeout does to a kept connection.
    db.session.execute(
        text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
            " AND datname = current_database() AND query = :read"
        ),
        {"read": READ_VERSION},
    )
    db.session.commit()
    page = client.get(url(article))
    assert page.status_code == 200
    assert "Still here after a restart." in page.get_data(as_text=True)
    # The next reader gets a new connection, and the cache again.
    assert client.get(url(article)).headers["X-Page-Cache"] == "hit"


def test_with_redis_a_stored_thread_in_any_script_comes_back_whole(
    app, client, reader, other_reader, article, discussion, redis_store
):
    words = "Ça dépend — 日本語の投稿 ☃"
    factories.make_post(discussion, reader, words)
    login(client, other_reader)
    rendered = client.get(url(article)).get_data(as_text=True)
    stored = client.get(url(article)).get_data(as_text=True)
    assert words in stored
    assert stored.count("thread-item") == rendered.count("thread-item") == 1


def test_the_connections_kept_for_the_version_leave_the_pool_to_pages(app, article, discussion):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the version is read on a connection kept open on PostgreSQL only")
    # A pool of one: a reader kept in it would leave the page nothing to render with.
    with one_connection_app(app) as single:
        client = single.test_client()
        assert client.get(url(article)).headers["X-Page-Cache"] == "miss"
        assert client.get(url(article)).headers["X-Page-Cache"] == "hit"
        assert client.get("/articles/").status_code == 200
