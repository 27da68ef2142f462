"""The API's resources as a script sees them: lists with cursors, threads, posts, groups,
sessions and RSVP, search, notifications; and its errors, always JSON."""

from __future__ import annotations

from sqlalchemy import select

from forum.discussions.models import Post, PostState, Vote
from forum.extensions import db
from forum.groups.models import Rsvp, RsvpStatus
from forum.moderation.models import Flag
from forum.notifications.services import notify
from tests import factories
from tests.api.conftest import bearer, make_token


def test_articles_are_listed_newest_first_page_by_page_with_an_opaque_cursor(app, client):
    for number in range(25):
        factories.make_article(f"Article number {number:02d}")
    first = client.get("/api/v1/articles")
    assert first.status_code == 200
    assert len(first.json["items"]) == app.config["ARTICLES_PER_PAGE"]
    cursor = first.json["next_cursor"]
    assert cursor and not cursor.isdigit()
    second = client.get("/api/v1/articles", query_string={"cursor": cursor})
    assert second.json["next_cursor"] is None
    slugs = [a["slug"] for a in first.json["items"] + second.json["items"]]
    assert len(set(slugs)) == 25
    tampered = client.get("/api/v1/articles", query_string={"cursor": cursor[:-2] + "xx"})
    assert tampered.status_code == 400
    assert tampered.json["error"]["fields"] == {"cursor": tampered.json["error"]["message"]}


def test_an_article_names_its_discussion_and_hidden_ones_do_not_exist(client, article, discussion):
    shown = client.get(f"/api/v1/articles/{article.slug}")
    assert shown.json["discussion_id"] == discussion.id
    assert shown.json["title"] == "Beijing Signals"
    article.is_hidden = True
    db.session.commit()
    hidden = client.get(f"/api/v1/articles/{article.slug}")
    assert hidden.status_code == 404 and hidden.json["error"]["code"] == "not_found"


def test_a_discussion_comes_threaded_with_replies_nested(client, discussion, thread):
    root, reply, deeper = thread
    response = client.get(f"/api/v1/discussions/{discussion.id}/posts")
    assert response.status_code == 200
    assert response.json["discussion"]["post_count"] == 3
    (top,) = response.json["items"]
    assert top["id"] == root.id
    assert top["replies"][0]["id"] == reply.id
    assert top["replies"][0]["replies"][0]["body_md"] == "A reply to the reply."
    single = client.get(f"/api/v1/posts/{reply.id}")
    assert [p["id"] for p in single.json["replies"]] == [deeper.id]


def test_posting_a_reply_editing_and_deleting_it(client, reader, discussion, thread, write_token):
    root = thread[0]
    headers = bearer(write_token)
    created = client.post(
        f"/api/v1/discussions/{discussion.id}/posts",
        json={"body": "I *agree*.", "parent_id": root.id},
        headers=headers,
    )
    assert created.status_code == 201, created.json
    assert created.json["parent_id"] == root.id and created.json["depth"] == 1
    assert "<em>agree</em>" in created.json["body_html"]
    post_id = created.json["id"]

    again = client.post(
        f"/api/v1/discussions/{discussion.id}/posts",
        json={"body": "I *agree*.", "parent_id": root.id},
        headers=headers,
    )
    assert again.status_code == 409 and again.json["error"]["code"] == "duplicate"

    edited = client.patch(f"/api/v1/posts/{post_id}", json={"body": "I agree."}, headers=headers)
    assert edited.status_code == 200 and edited.json["edited_at"]
    deleted = client.delete(f"/api/v1/posts/{post_id}", headers=headers)
    assert deleted.status_code == 204
    assert db.session.get(Post, post_id).state is PostState.DELETED
    # Someone else's post is not the reader's to edit or delete.
    assert (
        client.patch(f"/api/v1/posts/{root.id}", json={"body": "x"}, headers=headers).status_code
        == 403
    )
    assert client.delete(f"/api/v1/posts/{root.id}", headers=headers).status_code == 403


def test_bodies_that_do_not_fit_the_schema_are_refused_field_by_field(
    client, discussion, write_token
):
    url = f"/api/v1/discussions/{discussion.id}/posts"
    headers = bearer(write_token)
    wrong = client.post(url, json={"body": "", "parent_id": "x", "extra": 1}, headers=headers)
    assert wrong.status_code == 422
    assert set(wrong.json["error"]["fields"]) == {"body", "parent_id", "extra"}
    not_json = client.post(url, data="body=hello", headers=headers)
    assert not_json.status_code == 400 and "JSON" in not_json.json["error"]["message"]
    no_parent = client.post(url, json={"body": "Hi", "parent_id": 999999}, headers=headers)
    assert no_parent.status_code == 422
    assert "parent_id" in no_parent.json["error"]["fields"]
    assert db.session.scalar(select(Post)) is None


def test_votes_and_flags(client, reader, discussion, thread, write_token):
    root = thread[0]
    headers = bearer(write_token)
    for _ in range(2):  # voting twice is one vote
        voted = client.put(f"/api/v1/posts/{root.id}/vote", headers=headers)
        assert voted.status_code == 200 and voted.json == {
            "post_id": root.id,
            "voted": True,
            "score": 1,
        }
    unvoted = client.delete(f"/api/v1/posts/{root.id}/vote", headers=headers)
    assert unvoted.json == {"post_id": root.id, "voted": False, "score": 0}
    assert db.session.scalar(select(Vote)) is None

    flagged = client.post(
        f"/api/v1/posts/{root.id}/flags", json={"reason": "spam"}, headers=headers
    )
    assert flagged.status_code == 201, flagged.json
    assert db.session.scalar(select(Flag)).user_id == reader.id
    twice = client.post(f"/api/v1/posts/{root.id}/flags", json={"reason": "spam"}, headers=headers)
    assert twice.status_code == 422
    bad = client.post(f"/api/v1/posts/{root.id}/flags", json={"reason": "dull"}, headers=headers)
    assert bad.status_code == 422 and "reason" in bad.json["error"]["fields"]


def test_groups_sessions_and_rsvp_with_the_waitlist(
    client, reader, other_reader, group, group_session
):
    listed = client.get("/api/v1/groups")
    assert [g["slug"] for g in listed.json["items"]] == [group.slug]
    assert listed.json["items"][0]["member_count"] == 1
    sessions = client.get(f"/api/v1/groups/{group.slug}/sessions")
    assert [s["id"] for s in sessions.json["items"]] == [group_session.id]

    going = client.put(
        f"/api/v1/sessions/{group_session.id}/rsvp",
        json={"status": "going"},
        headers=bearer(make_token(reader)),
    )
    assert going.status_code == 200 and going.json["status"] == "going"
    detail = client.get(f"/api/v1/sessions/{group_session.id}", headers=bearer(make_token(reader)))
    assert detail.json["my_rsvp"] == "going" and detail.json["rsvp_counts"]["going"] == 1

    # Not a member: the group's rule refuses, in JSON.
    outsider = client.put(
        f"/api/v1/sessions/{group_session.id}/rsvp",
        json={"status": "going"},
        headers=bearer(make_token(other_reader)),
    )
    assert outsider.status_code == 403
    assert "Join the group" in outsider.json["error"]["message"]
    assert db.session.scalar(select(Rsvp)).status is RsvpStatus.GOING


def test_search_finds_posts(client, discussion, thread):
    response = client.get("/api/v1/search", query_string={"q": "opening comment"})
    assert response.status_code == 200
    assert [hit["post_id"] for hit in response.json["items"]] == [thread[0].id]
    assert client.get("/api/v1/search").json == {"items": [], "next_cursor": None}


def test_notifications_are_listed_and_marked_read(client, reader, thread, write_token):
    notify(reader, "reply", post=thread[0])
    db.session.commit()
    listed = client.get("/api/v1/notifications", headers=bearer(write_token))
    assert [(n["kind"], n["read"]) for n in listed.json["items"]] == [("reply", False)]
    marked = client.post("/api/v1/notifications/read", json={}, headers=bearer(write_token))
    assert marked.json == {"marked": 1}
    assert client.get("/api/v1/notifications", headers=bearer(write_token)).json["items"][0]["read"]
    assert client.get("/api/v1/notifications").status_code == 401


def test_every_error_under_api_is_json(app, client, write_token):
    for method, url, status in [
        ("get", "/api/v1/no-such-thing", 404),
        ("get", "/api/elsewhere", 404),
        ("post", "/api/v1/articles", 405),
        ("get", "/api/v1/posts/123456", 404),
        ("get", "/api/v1/posts/99999999999999999999999", 404),
    ]:
        response = getattr(client, method)(url, headers=bearer(write_token))
        assert response.status_code == status, url
        assert response.is_json and response.json["error"]["status"] == status, url
    assert client.post("/api/v1/articles").headers["Allow"]
    # Outside /api the site's pages stay HTML.
    assert client.get("/no-such-page").content_type.startswith("text/html")


def test_a_body_over_the_size_limit_gets_413_in_json(
    app, client, discussion, write_token, monkeypatch
):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    response = client.post(
        f"/api/v1/discussions/{discussion.id}/posts",
        data=b'{"body": "' + b"x" * 5000 + b'"}',
        headers={**bearer(write_token), "Content-Type": "application/json"},
    )
    assert response.status_code == 413 and response.json["error"]["code"] == "too_large"


def test_an_unexpected_failure_is_a_json_500(app, client, monkeypatch):
    from forum.articles import queries

    def broken(*args, **kwargs):
        raise RuntimeError("deliberate")

    monkeypatch.setattr(queries, "article_page", broken)
    response = client.get("/api/v1/articles")
    assert response.status_code == 500
    assert response.json["error"]["code"] == "server_error"
    assert "deliberate" not in response.get_data(as_text=True)


def test_too_many_requests_get_429_with_retry_after(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_API", "3 per minute")
    statuses = [client.get("/api/v1/articles").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/api/v1/articles")
    assert limited.json["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0
