"""The discussion on the blog: the framed thread, posting from it, and comment counts."""

from __future__ import annotations

import pytest

from forum.discussions.models import Post
from forum.extensions import db
from tests import factories
from tests.conftest import login, post_form

BLOG = "https://blog.example.org"


@pytest.fixture(autouse=True)
def allowed_blog(app, monkeypatch):
    monkeypatch.setitem(app.config, "EMBED_SITES", [BLOG])


@pytest.fixture
def article():
    article = factories.make_article("The Arctic Thaw", source_url=f"{BLOG}/2026/arctic-thaw/")
    return article


@pytest.fixture
def discussion(article):
    return factories.public_discussion(article)


def embed_url(article) -> str:
    return f"/embed/articles/{article.slug}"


def test_the_embedded_discussion_shows_the_thread_and_may_be_framed_by_the_blog_only(
    client, reader, other_reader, article, discussion
):
    top = factories.make_post(discussion, reader, "The ice is going faster than forecast.")
    factories.make_post(discussion, other_reader, "Shipping lanes will follow.", parent=top)

    page = client.get(embed_url(article))

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "2 comments on" in html
    assert "The ice is going faster than forecast." in html
    # The reply sits in the list of replies under its parent.
    assert html.index("The ice is going") < html.index('class="replies"') < html.index("lanes")
    assert "Log in to comment" in html
    policy = page.headers["Content-Security-Policy"]
    assert f"frame-ancestors 'self' {BLOG}" in policy
    assert "script-src 'self'" in policy
    # Other pages still refuse every framer.
    assert "frame-ancestors 'none'" in client.get("/auth/login").headers["Content-Security-Policy"]


def test_a_hidden_article_has_no_embedded_discussion(client, article, discussion):
    article.is_hidden = True
    db.session.commit()
    assert client.get(embed_url(article)).status_code == 404


def test_a_signed_in_reader_posts_from_the_frame_and_comes_back_to_it(
    client, reader, article, discussion
):
    login(client, reader)
    page = client.get(embed_url(article)).get_data(as_text=True)
    assert f"Posting as {reader.display_name}" in page

    response = post_form(
        client, embed_url(article), {"body": "Posted without leaving the blog."}, embed_url(article)
    )

    assert response.status_code == 302
    post = db.session.query(Post).filter_by(body_md="Posted without leaving the blog.").one()
    assert response.headers["Location"].endswith(f"{embed_url(article)}#post-{post.id}")
    again = client.get(embed_url(article)).get_data(as_text=True)
    assert "Posted without leaving the blog." in again


def test_a_refused_comment_comes_back_in_the_frame_with_the_text_kept(
    client, reader, article, discussion
):
    login(client, reader)
    too_long = "x" * 200_000

    response = post_form(client, embed_url(article), {"body": too_long}, embed_url(article))

    assert response.status_code in (413, 422)
    if response.status_code == 422:
        html = response.get_data(as_text=True)
        assert 'class="field-error"' in html
        assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    assert db.session.query(Post).count() == 0

    empty = post_form(client, embed_url(article), {"body": "   "}, embed_url(article))
    assert empty.status_code == 422
    assert 'class="field-error"' in empty.get_data(as_text=True)


def test_posting_needs_a_login(client, article, discussion):
    response = post_form(client, embed_url(article), {"body": "Anonymous?"})
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
    assert db.session.query(Post).count() == 0


def test_the_login_popup_ends_on_a_page_that_tells_the_frame(client, reader):
    assert "/auth/login" in client.get("/embed/signed-in").headers["Location"]
    login(client, reader)
    page = client.get("/embed/signed-in").get_data(as_text=True)
    assert "You are logged in" in page
    assert "embed-signed-in.js" in page


def test_comment_counts_for_a_blogs_list_are_shared_with_allowed_sites_only(
    client, reader, article, discussion
):
    factories.make_post(discussion, reader, "One.")
    hidden = factories.make_article("Not Yet Out", is_hidden=True)
    factories.public_discussion(hidden)

    response = client.get(
        "/embed/counts",
        query_string=[
            ("slug", article.slug),
            ("slug", hidden.slug),
            ("slug", "no-such-article"),
            ("url", f"{BLOG}/2026/arctic-thaw/"),
        ],
        headers={"Origin": BLOG},
    )

    assert response.json == {
        "counts": {article.slug: 1, f"{BLOG}/2026/arctic-thaw/": 1},
        "labels": {article.slug: "1 comment", f"{BLOG}/2026/arctic-thaw/": "1 comment"},
    }
    assert response.headers["Access-Control-Allow-Origin"] == BLOG
    other = client.get(
        "/embed/counts",
        query_string={"slug": article.slug},
        headers={"Origin": "https://evil.test"},
    )
    assert "Access-Control-Allow-Origin" not in other.headers


def test_the_counts_words_follow_the_blogs_page_else_the_readers_language(
    client, reader, article, discussion
):
    for _ in range(2):
        factories.make_post(discussion, reader, "Yes.")

    def label(reader_language: str | None, **extra) -> str:
        headers = {"Origin": BLOG}
        if reader_language:
            headers["Accept-Language"] = reader_language
        response = client.get(
            "/embed/counts", query_string={"slug": article.slug, **extra}, headers=headers
        )
        assert "Accept-Language" in response.headers["Vary"]
        return response.json["labels"][article.slug]

    assert label("fr") == "2 commentaires"
    # The blog's page is in English: its count reads like the text around it.
    assert label("fr", lang="en-GB") == "2 comments"
    assert label(None, lang="fr") == "2 commentaires"
    # A language Forum does not have: the reader's.
    assert label("fr", lang="de") == "2 commentaires"
    assert label(None, lang="de") == "2 comments"
