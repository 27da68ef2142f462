from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from forum.articles.services import import_article_text
from forum.extensions import db
from tests import factories
from tests.articles.conftest import SAMPLE, SLUG, TITLE
from tests.conftest import count_queries, login, post_form

ATOM = "{http://www.w3.org/2005/Atom}"
START = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)


def make_articles(n: int, hidden: set[int] = frozenset(), name: str = "Article"):
    """Articles "Article 0" .. "Article n-1", one day apart, the last one the newest."""
    return [
        factories.make_article(
            f"{name} {i}", published_at=START + timedelta(days=i), is_hidden=i in hidden
        )
        for i in range(n)
    ]


@pytest.fixture
def imported():
    article, _ = import_article_text(SAMPLE, "lighthouses.txt")
    db.session.commit()
    return article


def text_of(response) -> str:
    return response.get_data(as_text=True)


def test_list_is_newest_first_and_paginated(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "ARTICLES_PER_PAGE", 2)
    make_articles(5)

    first = text_of(client.get("/articles/"))
    assert first.index("Article 4") < first.index("Article 3")
    assert "Article 2" not in first
    assert "Page 1 of 3" in first and 'href="/articles/?page=2"' in first

    last = text_of(client.get("/articles/?page=3"))
    assert "Article 0" in last and "Article 1" not in last
    assert text_of(client.get("/articles/?page=oops")).count("<h2><a") == 2


def test_list_shows_comment_counts_in_a_fixed_number_of_queries(client, reader):
    quiet, busy, single = make_articles(3)
    for article, comments in ((busy, 2), (single, 1)):
        discussion = factories.public_discussion(article)
        for _ in range(comments):
            factories.make_post(discussion, reader)

    with count_queries() as few:
        html = text_of(client.get("/articles/"))
    assert ">2 comments</a>" in html and ">1 comment</a>" in html and ">No comments yet</a>" in html

    make_articles(9, name="More")
    with count_queries() as many:
        client.get("/articles/")
    assert len(many) == len(few)


def test_home_page_welcomes_and_lists_the_latest(client):
    make_articles(7)
    html = text_of(client.get("/"))
    assert "Welcome" in html
    assert 'href="/groups/"' in html
    assert "Article 6" in html and "Article 2" in html and "Article 1" not in html


def test_article_page_reads_like_an_article(client, imported):
    response = client.get(f"/articles/{SLUG}")
    html = text_of(response).split('<main id="content"', 1)[1]

    assert response.status_code == 200
    order = [
        '<p class="publication">Harbour Review</p>',
        f'<h1 id="article-title">{TITLE}</h1>',
        '<span class="author">Edda Morn</span>',
        "Keepers wave from the old light at Port Ellery. "
        '<small class="credit">HARBOUR PRESS/Anna Lind</small>',
        "The northern coast keeps eleven working lighthouses",
        '<small class="credit">Jonas Berg/Coastal Atlas</small>',
        "To read more on this topic",
        'href="https://example.org/lights-out"',
        "About the author: Edda Morn",
        "<p>She lives in Port Ellery.</p>",
        'Discussed by the <a class="group-link" '
        'href="/groups/coastal-walkers-discussion-group">Coastal Walkers Discussion group</a>',
        'id="discussion"',
    ]
    positions = [html.find(fragment) for fragment in order]
    assert -1 not in positions, [f for f, p in zip(order, positions, strict=True) if p == -1]
    assert positions == sorted(positions)
    assert html.count("Keepers wave from the old light") == 1
    assert html.count(TITLE) == 1  # the heading, not the stray copy in the body
    assert "<time datetime=" in html


def test_discussion_comments_show_on_the_article_page(client, imported, reader):
    discussion = factories.public_discussion(imported)
    factories.make_post(discussion, reader, "The keepers deserve a museum of their own.")
    html = text_of(client.get(f"/articles/{SLUG}"))
    assert "The keepers deserve a museum of their own." in html
    assert "Rita Reader" in html


def test_unknown_article_is_a_404_that_says_so(client):
    response = client.get("/articles/no-such-thing")
    assert response.status_code == 404
    assert "There is no such article." in text_of(response)


@pytest.mark.parametrize(
    ("persona", "status"), [(None, 404), ("reader", 404), ("moderator", 404), ("admin", 200)]
)
def test_hidden_articles_exist_only_for_admins(request, client, persona, status):
    make_articles(2, hidden={1})
    if persona:
        login(client, request.getfixturevalue(persona))
    assert client.get("/articles/article-1").status_code == status
    assert ("Article 1" in text_of(client.get("/articles/"))) == (status == 200)
    assert "Article 1" not in text_of(client.get("/feeds/articles.atom"))


def test_feed_is_atom_with_the_20_newest_and_absolute_links(client):
    articles = make_articles(22, hidden={21})
    articles[20].title = "Ports & <Harbours>"
    articles[20].body_html = "<p>Tides &amp; times</p>"
    db.session.commit()

    response = client.get("/feeds/articles.atom")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = ET.fromstring(response.data)
    assert feed.tag == f"{ATOM}feed"
    assert feed.find(f"{ATOM}id").text and feed.find(f"{ATOM}updated").text
    self_link = feed.find(f"{ATOM}link[@rel='self']")
    assert self_link.get("href") == "http://forum.test/feeds/articles.atom"
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 20
    assert [e.find(f"{ATOM}title").text for e in entries[:2]] == [
        "Ports & <Harbours>",
        "Article 19",
    ]
    assert entries[-1].find(f"{ATOM}title").text == "Article 1"
    first = entries[0]
    assert first.find(f"{ATOM}link").get("href") == "http://forum.test/articles/article-20"
    assert first.find(f"{ATOM}content").get("type") == "html"
    assert first.find(f"{ATOM}content").text == "<p>Tides &amp; times</p>"
    for entry in entries:
        for name in ("id", "title", "updated", "author/" + ATOM + "name"):
            assert entry.find(ATOM + name) is not None
        datetime.fromisoformat(entry.find(f"{ATOM}updated").text)


# Writing articles in the browser ------------------------------------------------------------

FORM = {
    "title": "Tides of the Outer Islands",
    "publication": "Harbour Review",
    "author_name": "Ivo Sand",
    "author_bio": "Ivo Sand keeps a boat.\n\nHe writes about tides.",
    "published_on": "2023-05-17",
    "body_md": "The *outer islands* see two tides a day.\n\nThe ferries wait for them.",
    "figure_lines": "Low water at Skerra | Coast Photo/Ivo Sand | 1",
    "reading_lines": "Mara Quist, The Tide Tables https://example.org/tides",
    "group_lines": "Coastal Walkers Discussion group",
}


@pytest.mark.parametrize(
    ("persona", "status"), [(None, 302), ("reader", 403), ("moderator", 403), ("admin", 200)]
)
@pytest.mark.parametrize("url", ["/articles/new", "/articles/article-0/edit"])
def test_only_admins_may_write_articles(request, client, persona, status, url):
    make_articles(1)
    if persona:
        login(client, request.getfixturevalue(persona))
    response = client.get(url)
    assert response.status_code == status
    if status == 302:
        assert response.headers["Location"].startswith("/auth/login")


@pytest.mark.parametrize("persona", ["reader", "moderator"])
def test_non_admins_cannot_post_an_article(request, client, persona):
    login(client, request.getfixturevalue(persona))
    response = post_form(client, "/articles/new", FORM)
    assert response.status_code == 403
    assert client.get("/articles/tides-of-the-outer-islands").status_code == 404


def test_admin_writes_an_article(client, admin):
    login(client, admin)
    response = post_form(client, "/articles/new", FORM, page="/articles/new")
    assert response.status_code == 302
    assert response.headers["Location"] == "/articles/tides-of-the-outer-islands"

    html = text_of(client.get("/articles/tides-of-the-outer-islands"))
    assert "<em>outer islands</em>" in html
    assert (
        html.index("two tides a day")
        < html.index("Low water at Skerra")
        < html.index("The ferries wait")
    )
    assert '<small class="credit">Coast Photo/Ivo Sand</small>' in html
    assert '<time datetime="2023-05-17T12:00:00+00:00">17 May 2023</time>' in html
    assert 'href="https://example.org/tides"' in html
    assert 'href="/groups/coastal-walkers-discussion-group"' in html
    assert 'id="discussion"' in html


def test_admin_edits_an_article_and_keeps_its_address(client, admin, imported):
    login(client, admin)
    form_page = text_of(client.get(f"/articles/{SLUG}/edit"))
    assert "HARBOUR PRESS/Anna Lind | 0" in form_page
    assert "Coastal Walkers Discussion group</textarea>" in form_page

    changed = {**FORM, "title": "Lights of the North", "body_md": "Rewritten <b>text</b>."}
    response = post_form(client, f"/articles/{SLUG}/edit", changed, page=f"/articles/{SLUG}/edit")
    assert response.status_code == 302

    html = text_of(client.get(f"/articles/{SLUG}"))
    assert '<h1 id="article-title">Lights of the North</h1>' in html
    assert "Rewritten &lt;b&gt;text&lt;/b&gt;." in html
    assert "northern coast keeps" not in html


def test_a_refused_article_keeps_what_the_admin_wrote(client, admin):
    make_articles(1)
    login(client, admin)
    taken = {**FORM, "title": "Article 0", "figure_lines": "Boats | Ana | two"}
    response = post_form(client, "/articles/new", taken, page="/articles/new")
    html = text_of(response)
    assert response.status_code == 400
    assert "Line 1:" in html and "whole number" in html
    assert "The *outer islands* see two tides a day." in html

    duplicate = post_form(
        client, "/articles/new", {**FORM, "title": "Article 0"}, page="/articles/new"
    )
    assert duplicate.status_code == 400
    assert "already exists" in text_of(duplicate)


def test_closing_the_discussion_shows_it_closed(client, admin, imported):
    from forum.discussions.queries import get_public_discussion

    discussion = get_public_discussion(imported)
    login(client, admin)
    page = f"/articles/{SLUG}"
    assert "Close the discussion" in text_of(client.get(page))

    response = post_form(client, f"/discussions/{discussion.id}/lock", {"locked": "1"}, page=page)
    assert response.status_code == 302
    html = text_of(client.get(page))
    assert "closed" in html
    assert "Reopen the discussion" in html

    post_form(client, f"/discussions/{discussion.id}/lock", {"locked": "0"}, page=page)
    assert "This discussion is closed" not in text_of(client.get(page))
