"""A page of a discussion is stored whole under the discussion's content token, which the
database changes with anything the thread shows (forum.discussions.versions). Readers notice
only that pages come quickly and are never stale or meant for someone else."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from forum.accounts.models import User
from forum.discussions import services
from forum.discussions.models import Discussion, Post, PostState
from forum.discussions.rendering import shown_thread
from forum.extensions import db
from forum.moderation import services as moderation
from tests import factories
from tests.conftest import count_queries, login, post_form

TOKENS = re.compile(r'name="csrf_token" value="[^"]+"')


@pytest.fixture(autouse=True)
def _isolated_clients(client):
    """``client`` makes every test client keep its requests apart; each reader has one."""


def token_of(discussion: Discussion) -> str | None:
    return db.session.scalar(select(Discussion.content_token).where(Discussion.id == discussion.id))


def reader_client(app, user):
    client = app.test_client()
    if user is not None:
        login(client, user)
    return client


def thread_of(client, article) -> str:
    response = client.get(f"/articles/{article.slug}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    start = page.index('<section class="discussion"')
    return page[start : page.index("</section>", page.index('class="thread"', start))]


def test_the_token_changes_with_everything_the_thread_shows_and_nothing_else(
    moderator, reader, other_reader, article
):
    discussion = factories.public_discussion(article)
    elsewhere = factories.public_discussion(factories.make_article("Somewhere Else"))
    assert token_of(discussion) is None  # no posts, nothing to store

    def changes(action) -> bool:
        before = token_of(discussion)
        action()
        db.session.commit()
        after = token_of(discussion)
        assert after is not None
        return after != before

    post = None

    def write():
        nonlocal post
        post = factories.make_post(discussion, reader, "First words.")

    assert changes(write)
    assert changes(lambda: services.edit_post(reader, post, "Second words."))
    assert changes(lambda: services.toggle_vote(other_reader, post))
    assert changes(lambda: moderation.feature_post(moderator, post))
    assert changes(lambda: moderation.feature_post(moderator, post, featured=False))
    assert changes(lambda: setattr(reader, "display_name", "Rita Renamed"))
    assert changes(lambda: moderation.delete_post(moderator, post))
    # What the thread does not show leaves its stored pages in place.
    assert not changes(lambda: factories.make_post(elsewhere, other_reader, "Not here."))
    assert not changes(lambda: setattr(reader, "email", "rita.new@example.org"))
    assert not changes(lambda: setattr(other_reader, "display_name", "Olive Other"))


def test_a_stored_page_is_served_without_reading_its_posts(app, reader, other_reader, article):
    discussion = factories.public_discussion(article)
    for n in range(5):
        factories.make_post(discussion, reader, f"Comment number {n}.")
    client = reader_client(app, other_reader)
    first = thread_of(client, article)
    with count_queries() as statements:
        second = thread_of(client, article)
    assert not [s for s in statements if "page_roots" in s], "the posts were read again"
    assert TOKENS.sub("", first) == TOKENS.sub("", second)
    assert "Comment number 4." in second
    # Another reader with the same rights and nothing of their own in it gets the same page,
    # with their own form token.
    third = reader_client(app, factories.make_user("third@example.org", "Theo Third"))
    with count_queries() as statements:
        shown = thread_of(third, article)
    assert not [s for s in statements if "page_roots" in s]
    assert TOKENS.sub("", shown) == TOKENS.sub("", first)
    assert TOKENS.findall(shown)[0] != TOKENS.findall(first)[0]


def test_readers_sharing_a_stored_page_see_only_their_own_buttons_and_marks(
    app, reader, other_reader, article
):
    discussion = factories.public_discussion(article)
    mine = factories.make_post(discussion, reader, "Written by the reader.")
    factories.make_post(discussion, other_reader, "Written by the other reader.")
    third_user = factories.make_user("third@example.org", "Theo Third")
    third = reader_client(app, third_user)
    assert f"/posts/{mine.id}/edit" not in thread_of(third, article)
    # The author's own page has their buttons; the third reader's, read again, still has not.
    author = reader_client(app, reader)
    assert f"/posts/{mine.id}/edit" in thread_of(author, article)
    assert f"/posts/{mine.id}/edit" not in thread_of(third, article)

    moderation.flag_post(third_user, db.session.get(Post, mine.id), "spam")
    db.session.commit()
    assert "You flagged this post" in thread_of(third, article)
    fourth = reader_client(app, factories.make_user("fourth@example.org", "Fay Fourth"))
    assert "You flagged this post" not in thread_of(fourth, article)


def test_a_held_post_is_shown_only_to_its_author_and_the_moderators(
    app, reader, other_reader, moderator, article
):
    discussion = factories.public_discussion(article)
    factories.make_post(discussion, other_reader, "Published for all.")
    held = factories.make_post(discussion, reader, "Waiting for review.", state=PostState.PENDING)
    others = reader_client(app, other_reader)
    assert "Waiting for review." not in thread_of(others, article)
    assert "Waiting for review." in thread_of(reader_client(app, moderator), article)
    shown = thread_of(reader_client(app, reader), article)
    assert "Waiting for review." in shown and "only you and the moderators" in shown
    assert "Waiting for review." not in thread_of(others, article)
    assert "Waiting for review." not in thread_of(reader_client(app, None), article)

    moderation.approve_post(moderator, db.session.get(Post, held.id))
    db.session.commit()
    assert "Waiting for review." in thread_of(others, article)


def test_the_featured_section_and_new_names_show_at_once(app, reader, moderator, article):
    discussion = factories.public_discussion(article)
    post = factories.make_post(discussion, reader, "Worth pinning.")
    client = reader_client(app, factories.make_user("third@example.org", "Theo Third"))
    assert "Featured by the moderators" not in thread_of(client, article)
    moderation.feature_post(moderator, db.session.get(Post, post.id))
    db.session.commit()
    shown = thread_of(client, article)
    assert "Featured by the moderators" in shown and shown.count("Worth pinning.") == 2
    db.session.get(User, reader.id).display_name = "Rita Renamed"
    db.session.commit()
    shown = thread_of(client, article)
    assert "Rita Renamed" in shown and reader.username in shown


def test_a_transaction_that_wrote_reads_and_stores_no_page(app, reader, other_reader, article):
    discussion = factories.public_discussion(article)
    factories.make_post(discussion, reader, "Committed before.")
    client = reader_client(app, other_reader)
    thread_of(client, article)  # stored under the current token
    with app.test_request_context(f"/articles/{article.slug}"):
        viewer = db.session.get(User, other_reader.id)
        shown = db.session.get(Discussion, discussion.id)
        services.post_reply(db.session.get(User, reader.id), shown, None, "Not committed yet.")
        # The loaded token is the stored page's, but this transaction has changed the thread.
        assert b"Not committed yet." in shown_thread(viewer, shown, 1, "oldest").html.data
        db.session.rollback()
    assert "Not committed yet." not in thread_of(client, article)


def test_a_reply_posted_through_the_page_shows_on_the_next_read(app, reader, other_reader, article):
    discussion = factories.public_discussion(article)
    parent = factories.make_post(discussion, reader, "Start here.")
    client = reader_client(app, other_reader)
    thread_of(client, article)
    response = post_form(
        client,
        f"/posts/{parent.id}/reply",
        {"body": "A reply from the other reader."},
        page=f"/articles/{article.slug}",
    )
    assert response.status_code == 302
    assert "A reply from the other reader." in thread_of(client, article)
    assert "A reply from the other reader." in thread_of(reader_client(app, reader), article)


SCRIPTS = "Ça dépend — 日本語の投稿 ☃"


def test_a_thread_in_any_script_is_shown_whole_when_read_from_the_store(
    app, reader, other_reader, article
):
    discussion = factories.public_discussion(article)
    factories.make_post(discussion, reader, SCRIPTS)
    client = reader_client(app, other_reader)
    rendered, stored = thread_of(client, article), thread_of(client, article)
    assert SCRIPTS in stored
    assert "<!--part-" not in stored
    # The stored page is the rendered one, the reader's own form token put in again.
    assert TOKENS.findall(stored)
    assert TOKENS.sub("", stored) == TOKENS.sub("", rendered)
