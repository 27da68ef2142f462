"""The Atom feeds: articles, an article's discussion, a group's sessions and posts. Each is
read back by feedparser (a real feed reader's parser) and answers conditional GETs."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import feedparser
import pytest

from forum.extensions import db
from forum.groups.models import Visibility
from forum.groups.services import (
    SessionInput,
    cancel_session,
    ensure_group,
    open_group_discussion,
    schedule_session,
)
from tests import factories

WRITTEN = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def read(client, url: str, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.content_type == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(response.get_data())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return response, parsed


def assert_conditional(client, url: str, response) -> None:
    """The same feed again with its ETag or its date: 304 and no body."""
    etag, modified = response.headers["ETag"], response.headers["Last-Modified"]
    for headers in ({"If-None-Match": etag}, {"If-Modified-Since": modified}):
        again = client.get(url, headers=headers)
        assert again.status_code == 304, headers
        assert again.get_data() == b""
    assert client.get(url, headers={"If-None-Match": '"stale"'}).status_code == 200


@pytest.fixture
def article_with_posts(reader, other_reader):
    article = factories.make_article("Grain Routes", summary="Ships carry grain.")
    discussion = factories.public_discussion(article)
    first = factories.make_post(discussion, reader, "Who insures *the ships*?", created_at=WRITTEN)
    factories.make_post(discussion, other_reader, "A state fund.", parent=first)
    factories.make_post(
        discussion, other_reader, "<script>alert(1)</script> withdrawn", state="deleted"
    )
    return article


def test_the_article_feed_is_valid_and_conditional(client, article_with_posts):
    response, parsed = read(client, "/feeds/articles.atom")

    assert [entry.title for entry in parsed.entries] == ["Grain Routes"]
    assert parsed.entries[0].link == "http://forum.test/articles/grain-routes"
    assert_conditional(client, "/feeds/articles.atom", response)


def test_an_articles_discussion_feed_has_its_published_posts(client, article_with_posts):
    url = "/feeds/articles/grain-routes/discussion.atom"
    response, parsed = read(client, url)

    assert parsed.feed.title == "Discussion of “Grain Routes”"
    assert parsed.feed.link == "http://forum.test/articles/grain-routes"
    titles = [entry.title for entry in parsed.entries]
    assert titles == ["Otto Other on “Grain Routes”", "Rita Reader on “Grain Routes”"]
    oldest = parsed.entries[-1]
    assert oldest.author == "Rita Reader"
    assert oldest.content[0].value == "<p>Who insures <em>the ships</em>?</p>"
    assert oldest.link.startswith("http://forum.test/posts/")
    assert "withdrawn" not in response.get_data(as_text=True)
    assert_conditional(client, url, response)


def test_a_new_post_changes_the_feed_and_its_etag(client, article_with_posts, reader):
    url = "/feeds/articles/grain-routes/discussion.atom"
    before, _ = read(client, url)
    factories.make_post(factories.public_discussion(article_with_posts), reader, "Later.")

    after = client.get(url, headers={"If-None-Match": before.headers["ETag"]})

    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    assert "Later." in after.get_data(as_text=True)


def test_a_hidden_articles_discussion_has_no_feed(client):
    factories.make_article("Secret", is_hidden=True)

    assert client.get("/feeds/articles/secret/discussion.atom").status_code == 404
    assert client.get("/feeds/articles/no-such/discussion.atom").status_code == 404


@pytest.fixture
def group_with_sessions(reader):
    group = ensure_group("Coastal Walkers")
    schedule_session(
        None,
        group,
        SessionInput(
            title="Tides & <Ferries>",
            starts_on=date(2030, 5, 2),
            starts_at=time(18, 30),
            ends_at=time(20, 0),
            timezone="Europe/Oslo",
            topic="Who <b>keeps</b> the timetable",
            place="Harbour library",
            agenda_md="1. Read the *tables*",
        ),
    )
    cancelled = schedule_session(
        None,
        group,
        SessionInput(
            title="Lighthouses",
            starts_on=date(2030, 5, 16),
            starts_at=time(18, 30),
            ends_at=time(20, 0),
            timezone="Europe/Oslo",
        ),
    )
    cancel_session(None, cancelled)
    db.session.commit()
    return group


def test_a_groups_sessions_feed(client, group_with_sessions):
    url = "/feeds/groups/coastal-walkers/sessions.atom"
    response, parsed = read(client, url)

    assert parsed.feed.title == "Coastal Walkers: sessions"
    assert [entry.title for entry in parsed.entries] == [
        "Cancelled: Lighthouses",
        "Tides & <Ferries>",
    ]
    tides = parsed.entries[1]
    content = tides.content[0].value
    # The organiser's words are text: escaped, never markup.
    assert "Topic: Who &lt;b&gt;keeps&lt;/b&gt; the timetable" in content
    assert "Thursday 2 May 2030, 18:30 CEST, Harbour library" in content
    assert "<em>tables</em>" in content
    assert tides.link.startswith("http://forum.test/groups/coastal-walkers/sessions/")
    assert_conditional(client, url, response)


def test_a_groups_posts_feed_has_its_own_discussions_only(client, reader, group_with_sessions):
    article = factories.make_article("Grain Routes")
    factories.make_post(factories.public_discussion(article), reader, "Public comment.")
    own = open_group_discussion(None, group_with_sessions, article)
    factories.make_post(own, reader, "Said in the group.")
    db.session.commit()

    url = "/feeds/groups/coastal-walkers/posts.atom"
    response, parsed = read(client, url)

    assert [entry.title for entry in parsed.entries] == ["Rita Reader on “Grain Routes”"]
    assert "Said in the group." in parsed.entries[0].content[0].value
    assert_conditional(client, url, response)


def test_a_members_only_groups_feeds_exist_only_for_its_members(client, reader):
    group = ensure_group("Private Circle")
    group.visibility = Visibility.MEMBERS
    db.session.commit()

    for kind in ("sessions", "posts"):
        assert client.get(f"/feeds/groups/private-circle/{kind}.atom").status_code == 404


def test_the_feeds_page_lists_each_groups_feeds(client, group_with_sessions):
    html = client.get("/feeds/").get_data(as_text=True)

    assert 'href="/feeds/articles.atom"' in html
    assert 'href="/feeds/groups/coastal-walkers/sessions.atom"' in html
    assert 'href="/feeds/groups/coastal-walkers/posts.atom"' in html


def test_the_article_page_links_its_discussion_feed(client, article_with_posts):
    html = client.get("/articles/grain-routes").get_data(as_text=True)

    assert html.count('href="/feeds/articles/grain-routes/discussion.atom"') == 2
