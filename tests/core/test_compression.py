"""Responses are gzipped when they carry no secret (BREACH): anonymous pages without forms, the
cached ones among them, and the CSS and scripts; pages with a form token or of a signed-in
person never are."""

from __future__ import annotations

import gzip

import pytest

from tests import factories
from tests.conftest import login

GZIP = {"Accept-Encoding": "gzip, deflate"}


@pytest.fixture
def article(reader):
    article = factories.make_article("Compressed Pacific Article")
    discussion = factories.public_discussion(article)
    for n in range(5):
        factories.make_post(discussion, reader, f"A long enough comment, number {n}. " * 5)
    return article


def test_a_cached_anonymous_page_is_served_gzipped(client, article):
    url = f"/articles/{article.slug}"
    plain = client.get(url)
    assert "Content-Encoding" not in plain.headers
    for expected in ("hit", "hit"):
        response = client.get(url, headers=GZIP)
        assert response.headers["X-Page-Cache"] == expected
        assert response.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in response.headers["Vary"]
        assert gzip.decompress(response.get_data()) == plain.get_data()
        assert len(response.get_data()) < len(plain.get_data()) / 2
    # The compressed copy is another representation: another ETag, and its own 304.
    assert response.headers["ETag"] != plain.headers["ETag"]
    again = client.get(url, headers={**GZIP, "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_the_first_anonymous_render_is_gzipped_too(client, article):
    response = client.get(f"/articles/{article.slug}", headers=GZIP)
    assert response.headers["X-Page-Cache"] == "miss"
    assert b"A long enough comment, number 4." in gzip.decompress(response.get_data())


def test_a_signed_in_page_with_form_tokens_is_never_compressed(client, reader, article):
    login(client, reader)
    response = client.get(f"/articles/{article.slug}", headers=GZIP)
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert 'name="csrf_token"' in response.get_data(as_text=True)


def test_an_anonymous_form_with_a_token_is_not_compressed(client):
    response = client.get("/auth/login", headers=GZIP)
    assert 'name="csrf_token"' in response.get_data(as_text=True)
    assert "Content-Encoding" not in response.headers


def test_the_stylesheet_is_gzipped_and_revalidated(client):
    plain = client.get("/static/css/forum.css")
    response = client.get("/static/css/forum.css", headers=GZIP)
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.get_data()) == plain.get_data()
    again = client.get(
        "/static/css/forum.css", headers={**GZIP, "If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304
    plain.close()
    response.close()


def test_a_client_that_does_not_accept_gzip_gets_the_plain_page(client, article):
    response = client.get(f"/articles/{article.slug}", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in response.headers
    assert b"number 4." in response.get_data()
