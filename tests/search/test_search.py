"""Search over articles and posts: what is found, what never is, and hostile queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete

from forum.discussions import services
from forum.discussions.models import Discussion, Post, PostState
from forum.extensions import db
from forum.groups.models import (
    Group,
    GroupSession,
    MemberRole,
    Membership,
    MemberState,
    Visibility,
)
from forum.search.queries import Filters, search, words_of
from tests import factories
from tests.conftest import count_queries, login
from tests.html import unsafe_markup


@pytest.fixture
def article():
    return factories.make_article(
        "Arctic Shipping Lanes", body_md="Melting ice opens northern routes for container ships."
    )


@pytest.fixture
def discussion(article):
    return factories.public_discussion(article)


def found_ids(viewer, text: str, **filters) -> tuple[set[int], set[int]]:
    """Ids of the (articles, posts) that ``viewer`` finds for ``text``."""
    results = search(viewer, text, filters=Filters(**filters))
    articles = {hit.article.id for hit in results.hits if hit.kind == "article"}
    posts = {hit.post.id for hit in results.hits if hit.kind == "post"}
    return articles, posts


def test_articles_and_posts_are_found_with_the_words_marked(client, reader, article, discussion):
    post = factories.make_post(discussion, reader, "Icebreakers are the *real* bottleneck here.")
    factories.make_post(discussion, reader, "Nothing relevant at all.")

    response = client.get("/search?q=icebreakers")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'href="/posts/{post.id}"' in html
    assert "<mark>Icebreakers</mark>" in html
    assert "1 result" in html

    html = client.get("/search?q=arctic").get_data(as_text=True)
    assert f'href="/articles/{article.slug}"' in html
    # Stemming: "routes" is found by "route".
    assert found_ids(None, "route")[0] == {article.id}


def test_every_word_must_match(reader, discussion):
    both = factories.make_post(discussion, reader, "Tariffs and sanctions together.")
    factories.make_post(discussion, reader, "Tariffs alone.")
    assert found_ids(None, "sanctions tariffs")[1] == {both.id}


def test_posts_not_published_are_never_found(reader, other_reader, moderator, discussion):
    shown = factories.make_post(discussion, reader, "Glacier talk, published.")
    factories.make_post(discussion, reader, "Glacier talk, pending.", state=PostState.PENDING)
    factories.make_post(discussion, reader, "Glacier talk, rejected.", state=PostState.REJECTED)
    deleted = factories.make_post(discussion, reader, "Glacier talk, withdrawn.")
    services.delete_post(reader, deleted)
    db.session.commit()

    for viewer in (None, reader, other_reader, moderator):
        assert found_ids(viewer, "glacier")[1] == {shown.id}


def test_hidden_articles_and_their_posts_are_found_by_admins_only(reader, admin):
    hidden = factories.make_article("Secret Tundra Briefing", is_hidden=True)
    post = factories.make_post(factories.public_discussion(hidden), reader, "Tundra notes.")
    assert found_ids(None, "tundra") == (set(), set())
    assert found_ids(reader, "tundra") == (set(), set())
    assert found_ids(admin, "tundra") == ({hidden.id}, {post.id})


def test_members_only_group_discussions_are_found_by_members_only(reader, other_reader, article):
    group = Group(slug="inner", name="Inner Circle", visibility=Visibility.MEMBERS)
    db.session.add(group)
    db.session.flush()
    db.session.add(Membership(group_id=group.id, user_id=reader.id, role=MemberRole.MEMBER))
    db.session.add(
        Membership(
            group_id=group.id,
            user_id=other_reader.id,
            role=MemberRole.MEMBER,
            state=MemberState.PENDING,
        )
    )
    group_discussion = Discussion(article_id=article.id, group_id=group.id)
    db.session.add(group_discussion)
    db.session.commit()
    post = factories.make_post(group_discussion, reader, "Permafrost plans for our meeting.")

    assert found_ids(None, "permafrost")[1] == set()
    assert found_ids(other_reader, "permafrost")[1] == set()
    assert found_ids(reader, "permafrost")[1] == {post.id}


def test_the_index_follows_edits_and_removals(reader, discussion):
    post = factories.make_post(discussion, reader, "First draft about walruses.")
    services.edit_post(reader, post, "Second draft about narwhals.")
    db.session.commit()
    assert found_ids(None, "walruses")[1] == set()
    assert found_ids(None, "narwhals")[1] == {post.id}

    db.session.execute(delete(Post).where(Post.id == post.id))
    db.session.commit()
    assert found_ids(None, "narwhals")[1] == set()


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "*",
        "NEAR(",
        "NEAR(ice ships, 2)",
        "ice OR",
        "AND",
        "-ice",
        "^ice",
        "body_md:ice",
        "title : ice",
        "ice*",
        '"unclosed phrase',
        "(((",
        "'; DROP TABLE posts; --",
        "\\",
        "ице 冰 🧊",
        "x" * 500,
        "%",
        "_",
    ],
)
def test_any_query_text_is_a_valid_search(client, reader, discussion, query):
    factories.make_post(discussion, reader, "Ice and ships.")
    response = client.get("/search", query_string={"q": query})
    assert response.status_code in (200, 400)
    assert "Search" in response.get_data(as_text=True)


def test_operators_are_words_not_syntax(reader, discussion):
    post = factories.make_post(discussion, reader, "Ships near ice.")
    # "NEAR(" and "*" are not FTS5 syntax here: the query is the words "near" and "ice".
    assert found_ids(None, "NEAR(ice*")[1] == {post.id}
    assert words_of('a"b* NEAR( OR x') == ["a", "b", "near", "or", "x"]


def test_a_query_that_is_too_long_is_refused_beside_the_field(client):
    response = client.get("/search", query_string={"q": "word " * 100})
    assert response.status_code == 400
    assert 'id="q-error"' in response.get_data(as_text=True)


def test_text_in_results_is_escaped(client, reader, discussion):
    factories.make_post(discussion, reader, "Beware <script>alert('kraken')</script> here.")
    html = client.get("/search?q=kraken").get_data(as_text=True)
    assert unsafe_markup(html) == []
    # SQLite's snippet keeps the text (escaped); PostgreSQL's headline drops tag-like words.
    assert "<script>alert" not in html
    assert "kraken" in html


def test_results_are_paginated(client, reader, discussion, app):
    for number in range(25):
        factories.make_post(discussion, reader, f"Fjord observation number {number}.")
    first = client.get("/search?q=fjord").get_data(as_text=True)
    assert first.count('class="search-snippet"') == 20
    assert "25 results" in first
    assert 'href="/search?q=fjord&amp;page=2"' in first
    second = client.get("/search?q=fjord&page=2").get_data(as_text=True)
    assert second.count('class="search-snippet"') == 5


def test_filters_narrow_by_author_article_group_and_date(client, reader, other_reader, discussion):
    mine = factories.make_post(discussion, reader, "Iceberg sighting.")
    theirs = factories.make_post(discussion, other_reader, "Iceberg sighting too.")
    elsewhere = factories.make_article("Desert Water Treaties")
    far = factories.make_post(factories.public_discussion(elsewhere), reader, "Iceberg towing.")

    assert found_ids(None, "iceberg", author=reader)[1] == {mine.id, far.id}
    assert found_ids(None, "iceberg", article=elsewhere)[1] == {far.id}

    response = client.get(f"/search?q=iceberg&author={other_reader.username}")
    html = response.get_data(as_text=True)
    assert f"/posts/{theirs.id}" in html and f"/posts/{mine.id}" not in html

    html = client.get("/search?q=iceberg&since=2999-01-01").get_data(as_text=True)
    assert "Nothing found" in html


def test_an_unknown_filter_is_an_error_beside_its_field_with_the_query_kept(client):
    response = client.get("/search?q=iceberg&author=nobody-at-all&since=not-a-date")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "There is nobody with that user name." in html
    assert 'id="since-error"' in html
    assert 'value="iceberg"' in html


def test_the_empty_page_offers_the_form(client):
    response = client.get("/search")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<label for="q">' in html
    assert "result" not in html


def test_a_search_costs_the_same_queries_however_many_results(client, reader, discussion):
    factories.make_post(discussion, reader, "Polar vortex.")
    client.get("/search?q=polar")
    with count_queries() as few:
        client.get("/search?q=polar")
    for number in range(30):
        factories.make_post(discussion, reader, f"Polar night number {number}.")
    with count_queries() as many:
        client.get("/search?q=polar")
    assert len(many) == len(few) <= 8


def test_a_signed_in_search_works_too(client, reader, discussion):
    post = factories.make_post(discussion, reader, "Sea lanes and convoys.")
    login(client, reader)
    assert f"/posts/{post.id}" in client.get("/search?q=convoys").get_data(as_text=True)


def test_a_group_session_discussion_is_found_with_the_group_visibility(client, reader):
    group = Group(slug="season", name="Season Group", visibility=Visibility.MEMBERS)
    db.session.add(group)
    db.session.flush()
    db.session.add(Membership(group_id=group.id, user_id=reader.id, role=MemberRole.MEMBER))
    starts = datetime(2026, 12, 1, 18, tzinfo=UTC)
    session = GroupSession(
        group_id=group.id,
        title="Session on Greenland",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
    )
    db.session.add(session)
    db.session.flush()
    discussion = Discussion(group_id=group.id, session_id=session.id)
    db.session.add(discussion)
    db.session.commit()
    post = factories.make_post(discussion, reader, "Bring the atlas of Greenland.")

    assert found_ids(None, "atlas")[1] == set()
    assert found_ids(reader, "atlas")[1] == {post.id}
    login(client, reader)
    assert "Comment on “Session on Greenland”" in client.get("/search?q=atlas").get_data(
        as_text=True
    )
