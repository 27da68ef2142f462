"""Discussions over HTTP: what readers do, and what hostile or broken input gets."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from forum.discussions import services
from forum.discussions.models import Post, PostState
from forum.extensions import db
from tests import factories
from tests.conftest import count_queries, csrf_token, login, post_form
from tests.html import unsafe_markup


def article_url(article) -> str:
    return f"/articles/{article.slug}"


def post_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Post))


def test_a_reader_comments_and_replies(client, reader, other_reader, article, discussion):
    login(client, reader)
    response = post_form(client, f"/discussions/{discussion.id}/posts", {"body": "My *view*"})
    assert response.status_code == 302
    post = db.session.scalar(select(Post))
    assert response.headers["Location"] == f"/posts/{post.id}"

    login(client, other_reader)
    response = post_form(client, f"/posts/{post.id}/reply", {"body": "A reply"})
    reply = db.session.scalar(select(Post).where(Post.parent_id == post.id))
    assert response.headers["Location"] == f"/posts/{reply.id}"
    assert reply.depth == 1


def test_the_permalink_finds_the_page_of_the_post(client, reader, article, discussion, app):
    per_page = app.config["POSTS_PER_PAGE"]
    posts = [factories.make_post(discussion, reader, f"Post {n}") for n in range(per_page + 2)]
    reply = factories.make_post(discussion, reader, "Late reply", parent=posts[-1])
    response = client.get(f"/posts/{reply.id}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"{article_url(article)}?page=2#post-{reply.id}"
    first = client.get(f"/posts/{posts[0].id}").headers["Location"]
    assert first == f"{article_url(article)}#post-{posts[0].id}"


def test_unknown_and_withheld_posts_are_404(client, reader, discussion):
    assert client.get("/posts/999999").status_code == 404
    pending = factories.make_post(discussion, reader, "Under review", state=PostState.PENDING)
    assert client.get(f"/posts/{pending.id}").status_code == 404
    login(client, reader)
    assert client.get(f"/posts/{pending.id}").status_code == 302


def test_deep_threads_continue_on_their_own_page(client, reader, discussion, app):
    depth = app.config["MAX_THREAD_DEPTH"]
    chain = [factories.make_post(discussion, reader, "Depth 0")]
    for level in range(1, depth + 3):
        chain.append(factories.make_post(discussion, reader, f"Depth {level}", parent=chain[-1]))
    last_on_page = chain[depth - 1]
    deep = chain[depth + 1]

    whole = client.get(f"/articles/{discussion.article.slug}").get_data(as_text=True)
    # Each reply is nested in the list of its parent's replies, down to the page's last level,
    # which links to the rest.
    for parent, reply in zip(chain[: depth - 1], chain[1:depth], strict=True):
        after_parent = whole[whole.index(f'id="post-{parent.id}"') :]
        assert re.match(
            rf'.*?</article>\s*<ol class="replies">\s*<li class="thread-item">\s*'
            rf'<article[^>]*id="post-{reply.id}"',
            after_parent,
            re.S,
        )
    assert f'id="post-{chain[depth].id}"' not in whole
    assert f'<a href="/posts/{last_on_page.id}/thread">Continue this thread' in whole

    location = client.get(f"/posts/{deep.id}").headers["Location"]
    assert location == f"/posts/{last_on_page.id}/thread#post-{deep.id}"
    page = client.get(f"/posts/{last_on_page.id}/thread").get_data(as_text=True)
    assert f'id="post-{deep.id}"' in page
    assert f'id="post-{chain[0].id}"' not in page
    assert "Back to the whole discussion" in page


def test_editing_shows_the_form_with_the_text_and_keeps_history(client, reader, discussion):
    post = factories.make_post(discussion, reader, "Original words")
    login(client, reader)
    page = client.get(f"/posts/{post.id}/edit").get_data(as_text=True)
    assert "Original words" in page and '<label for="body">Your post</label>' in page
    response = post_form(client, f"/posts/{post.id}/edit", {"body": "Better words"})
    assert response.status_code == 302
    history = client.get(f"/posts/{post.id}/revisions").get_data(as_text=True)
    assert "Better words" in history and "Original words" in history


def test_someone_elses_post_cannot_be_edited_or_deleted(client, reader, other_reader, discussion):
    post = factories.make_post(discussion, reader, "Mine")
    login(client, other_reader)
    assert client.get(f"/posts/{post.id}/edit").status_code == 403
    assert post_form(client, f"/posts/{post.id}/edit", {"body": "Hijack"}).status_code == 403
    assert post_form(client, f"/posts/{post.id}/delete", {}).status_code == 403
    db.session.refresh(post)
    assert post.body_md == "Mine" and post.state is PostState.PUBLISHED


def test_deleting_asks_first_then_leaves_a_placeholder(client, reader, other_reader, discussion):
    post = factories.make_post(discussion, reader, "Regrettable")
    factories.make_post(discussion, other_reader, "Answer", parent=post)
    login(client, reader)
    assert "Delete this post?" in client.get(f"/posts/{post.id}/delete").get_data(as_text=True)
    assert post_form(client, f"/posts/{post.id}/delete", {}).status_code == 302
    db.session.refresh(post)
    assert post.state is PostState.DELETED


def test_voting_answers_json_for_scripts_and_redirects_otherwise(
    client, reader, other_reader, discussion
):
    post = factories.make_post(discussion, reader, "Worth a vote")
    login(client, other_reader)
    response = post_form(
        client, f"/posts/{post.id}/vote", {}, headers={"Accept": "application/json"}
    )
    assert response.json == {"score": 1, "voted": True}
    response = post_form(client, f"/posts/{post.id}/vote", {})
    assert response.status_code == 302
    db.session.refresh(post)
    assert post.score == 0


def test_anonymous_actions_go_to_login_and_come_back(client, discussion, reader):
    post = factories.make_post(discussion, reader, "Hello")
    response = client.get(f"/posts/{post.id}/reply")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")


def test_unverified_readers_are_told_to_verify(client, unverified, discussion):
    login(client, unverified)
    response = post_form(client, f"/discussions/{discussion.id}/posts", {"body": "Hi"})
    assert response.status_code == 403
    assert "Verify your email" in response.get_data(as_text=True)
    assert post_count() == 0


# Hostile and broken input -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Write something before posting."),
        ("   ", "Write something before posting."),
        ("x" * 100_000, "Posts are limited to 20,000 characters"),
    ],
)
def test_bad_bodies_get_a_message_beside_the_field(client, reader, discussion, body, message):
    login(client, reader)
    response = post_form(client, f"/discussions/{discussion.id}/posts", {"body": body})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert 'class="field-error"' in html
    if body.strip():
        assert body in html  # the text is kept
    assert post_count() == 0


def test_null_bytes_and_control_characters_are_dropped(client, reader, discussion):
    login(client, reader)
    response = post_form(
        client, f"/discussions/{discussion.id}/posts", {"body": "Null\x00 byte\x07 here"}
    )
    assert response.status_code == 302
    assert db.session.scalar(select(Post.body_md)) == "Null byte here"


def test_invalid_utf8_is_not_a_server_error(client, reader, discussion):
    login(client, reader)
    token = csrf_token(client)
    body = b"csrf_token=" + token.encode() + b"&body=caf%E9+%FF%FE"
    response = client.post(
        f"/discussions/{discussion.id}/posts",
        data=body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code in (302, 400, 422)
    if response.status_code == 302:
        assert "caf" in db.session.scalar(select(Post.body_md))


@pytest.mark.parametrize(
    "body",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        "[data](data:text/html;base64,PHNjcmlwdD4=)",
        '<a href="#" onclick="steal()">x</a>',
        "<svg onload=alert(1)>",
    ],
)
def test_scripts_and_dangerous_links_never_reach_the_page(
    client, reader, other_reader, article, discussion, body
):
    login(client, reader)
    post_form(client, f"/discussions/{discussion.id}/posts", {"body": body})
    post = db.session.scalar(select(Post))
    assert unsafe_markup(post.body_html) == []
    services.edit_post(reader, post, body + " (edited)")
    db.session.commit()
    login(client, other_reader)
    for url in (article_url(article), f"/posts/{post.id}/revisions", f"/users/{reader.username}"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert unsafe_markup(response.get_data(as_text=True)) == [], url


def test_links_are_marked_as_user_content(client, reader, discussion):
    login(client, reader)
    post_form(client, f"/discussions/{discussion.id}/posts", {"body": "[a](https://example.org)"})
    html = db.session.scalar(select(Post.body_html))
    assert 'href="https://example.org"' in html
    assert 'rel="nofollow ugc noopener"' in html


def test_replies_to_deleted_posts_or_other_discussions_are_refused(
    client, reader, other_reader, discussion, other_discussion
):
    gone = factories.make_post(discussion, other_reader, "Gone soon")
    gone.state = PostState.DELETED
    db.session.commit()
    login(client, reader)
    response = post_form(client, f"/posts/{gone.id}/reply", {"body": "Hello?"})
    assert response.status_code == 422
    assert "deleted" in response.get_data(as_text=True)
    assert "Hello?" in response.get_data(as_text=True)
    assert post_count() == 1


def test_double_submission_makes_one_post(client, reader, discussion):
    login(client, reader)
    url = f"/discussions/{discussion.id}/posts"
    first = post_form(client, url, {"body": "Clicked twice"})
    second = post_form(client, url, {"body": "Clicked twice"}, follow_redirects=False)
    assert first.headers["Location"] == second.headers["Location"]
    assert post_count() == 1


def test_a_forged_form_is_refused_and_the_text_is_shown_back(client, reader, discussion):
    login(client, reader)
    response = client.post(
        f"/discussions/{discussion.id}/posts",
        data={"body": "Words worth keeping", "csrf_token": "forged"},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "did not come from this site" in html
    assert "Words worth keeping" in html
    assert post_count() == 0


# Reading the discussion on the article page -------------------------------------------------


def test_the_article_page_nests_replies(client, reader, other_reader, article, discussion):
    top = factories.make_post(discussion, reader, "Top comment")
    reply = factories.make_post(discussion, other_reader, "Nested reply", parent=top)
    html = client.get(article_url(article)).get_data(as_text=True)
    top_at = html.index(f'id="post-{top.id}"')
    replies_at = html.index('<ol class="replies">', top_at)
    assert top_at < replies_at < html.index(f'id="post-{reply.id}"')
    assert 'aria-label="Reply by Otto Other"' in html
    assert "Log in to reply" in html


def test_pages_split_between_threads_never_inside_one(client, reader, article, discussion, app):
    per_page = app.config["POSTS_PER_PAGE"]
    roots = [factories.make_post(discussion, reader, f"Root {n}") for n in range(per_page + 1)]
    for n in range(3):
        factories.make_post(discussion, reader, f"Reply {n}", parent=roots[per_page - 1])
    first = client.get(article_url(article)).get_data(as_text=True)
    second = client.get(article_url(article) + "?page=2").get_data(as_text=True)
    assert "Reply 2" in first and "Reply 2" not in second
    assert f'id="post-{roots[per_page].id}"' in second
    # Replies do not count as pages' posts; a page past the end still knows how many there are.
    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    beyond = client.get(article_url(article) + "?page=5").get_data(as_text=True)
    assert "Page 5 of 2" in beyond and 'rel="prev" href="/articles/' in beyond
    assert "Root 0" not in beyond


def test_sorting_by_top_puts_the_most_voted_first(client, reader, article, discussion):
    factories.make_post(discussion, reader, "Quiet one")
    factories.make_post(discussion, reader, "Popular one", score=5)
    html = client.get(article_url(article) + "?sort=top").get_data(as_text=True)
    assert html.index("Popular one") < html.index("Quiet one")


def _discussion_queries(client, url: str) -> int:
    db.session.expunge_all()
    with count_queries() as statements:
        assert client.get(url).status_code == 200
    return len(statements)


def test_the_number_of_queries_does_not_grow_with_posts_or_authors(
    client, reader, other_reader, article, discussion
):
    url = article_url(article)
    factories.make_post(discussion, reader, "Just one")
    login(client, other_reader)
    few = _discussion_queries(client, url)
    discussion = db.session.merge(discussion)
    reader = db.session.merge(reader)

    authors = [factories.make_user(f"author{n}@example.org", f"Author {n}") for n in range(8)]
    for n, author in enumerate(authors):
        top = factories.make_post(discussion, author, f"Thread {n}")
        reply = factories.make_post(discussion, reader, f"Reply {n}", parent=top)
        factories.make_post(discussion, author, f"Deeper {n}", parent=reply)
    many = _discussion_queries(client, url)
    assert many == few


def test_a_filled_in_honeypot_refuses_the_post_and_keeps_the_text(client, reader, discussion):
    login(client, reader)
    response = post_form(
        client,
        f"/discussions/{discussion.id}/posts",
        {"body": "Buy cheap watches", "website": "http://spam.example"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "leave the last field empty" in html
    assert "Buy cheap watches</textarea>" in html
    assert post_count() == 0


def test_posting_is_limited_per_person(app, client, reader, discussion, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_POSTING", "2 per minute")
    login(client, reader)
    url = f"/discussions/{discussion.id}/posts"
    # A refused form does not count: only posts made do.
    assert post_form(client, url, {"body": ""}).status_code == 422
    for n in range(2):
        assert post_form(client, url, {"body": f"Post {n}"}).status_code == 302
    response = post_form(client, url, {"body": "One too many"})
    assert response.status_code == 429
    assert "posting very quickly" in response.get_data(as_text=True)
    assert post_count() == 2


def test_a_closed_discussion_says_why(app, client, reader, article, monkeypatch):
    monkeypatch.setitem(app.config, "DISCUSSIONS_CLOSE_AFTER_DAYS", 1)
    login(client, reader)
    html = client.get(article_url(article)).get_data(as_text=True)
    assert "closed" not in html
    article.published_at = article.published_at.replace(year=2000)
    db.session.commit()
    html = client.get(article_url(article)).get_data(as_text=True)
    assert "This discussion closed to new posts 1 day after the article was published." in html
    assert "Post comment" not in html


# Posting, counted -----------------------------------------------------------------------------

# Issue 6: the user with their moderation state, the parent, the double-submission check (with
# the follow and the webhooks), the policy; the INSERT, the discussion's counter, the parent's
# counter and the new post's place in the thread. Nothing is read again after the commit. On
# PostgreSQL the check also takes the post's id from its sequence, and the INSERT writes the
# post's place with it: one statement fewer.
REPLY_STATEMENTS = 8


def test_a_reply_runs_a_fixed_few_statements(app, client, reader, other_reader, discussion):
    from forum.notifications.jobs import get_huey

    parent = factories.make_post(discussion, other_reader, "Start here")
    login(client, reader)
    assert post_form(client, f"/posts/{parent.id}/reply", {"body": "One"}).status_code == 302
    token = csrf_token(client, "/")
    db.session.expunge_all()
    # The announcement is the worker's job, as when serving (tests otherwise run jobs at once).
    huey = get_huey(app)
    immediate, huey.immediate = huey.immediate, False
    try:
        with count_queries() as statements:
            response = client.post(
                f"/posts/{parent.id}/reply", data={"csrf_token": token, "body": "Two"}
            )
    finally:
        huey.immediate = immediate
    assert response.status_code == 302
    in_one_insert = db.engine.dialect.name == "postgresql"
    assert len(statements) <= REPLY_STATEMENTS - in_one_insert, "\n".join(statements)
    # The first reply followed the discussion; the second finds it in its one check.
    assert not any("INSERT INTO follows" in statement for statement in statements)


def test_the_author_is_told_whether_the_post_is_published_or_held(client, reader, discussion):
    from forum.moderation.models import Mode, Policy

    login(client, reader)
    url = f"/discussions/{discussion.id}/posts"
    published = post_form(client, url, {"body": "Out at once"}, follow_redirects=True)
    assert "Your post is published." in published.get_data(as_text=True)
    db.session.scalar(select(Policy)).mode = Mode.ALL
    db.session.commit()
    held = post_form(client, url, {"body": "Held for review"}, follow_redirects=True)
    html = held.get_data(as_text=True)
    assert "A moderator will review your post" in html
    assert "Your post is published." not in html
