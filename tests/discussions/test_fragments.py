"""Posts are put together from fragments stored for every reader (forum.core.pagecache): what
these readers notice is that nothing they see is ever stale or meant for someone else."""

from __future__ import annotations

import re

import pytest

from forum.core.pagecache import RedisPageStore, fragment_key
from forum.discussions import permissions, services
from forum.discussions.models import PostState
from forum.extensions import db
from forum.moderation import services as moderation
from tests import factories
from tests.conftest import login, post_form, require_redis

TOKENS = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _isolated_clients(client):
    """``client`` makes every test client keep its requests apart; each reader has one."""


def page_of(app, user, article, **headers) -> str:
    """The article page as ``user`` (None: anonymous) sees it, in a client of their own."""
    client = app.test_client()
    if user is not None:
        login(client, user)
    response = client.get(f"/articles/{article.slug}", headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def post_html(page: str, post_id: int) -> str:
    """The <article> of one post on a page."""
    start = page.rindex("<article", 0, page.index(f'id="post-{post_id}"'))
    return page[start : page.index("</article>", start)]


def fragments_stored(app) -> int:
    return sum(key[0] == "fragment" for key in app.extensions["page_cache"].entries)


def test_a_second_render_reuses_the_stored_fragments(app, reader, other_reader, article):
    discussion = factories.public_discussion(article)
    for n in range(3):
        factories.make_post(discussion, reader, f"Comment number {n}.")
    first = page_of(app, other_reader, article)
    stored = fragments_stored(app)
    second = page_of(app, other_reader, article)
    assert fragments_stored(app) == stored
    # The same page, but for the form tokens: each is this reader's own.
    assert TOKENS.sub("", first) == TOKENS.sub("", second)
    assert "Comment number 2." in second


def test_an_edit_is_shown_at_once(app, reader, other_reader, article):
    post = factories.make_post(factories.public_discussion(article), reader, "Before the edit.")
    assert "post-edited" not in post_html(page_of(app, other_reader, article), post.id)
    services.edit_post(reader, post, "After the edit.")
    db.session.commit()
    shown = post_html(page_of(app, other_reader, article), post.id)
    assert "After the edit." in shown and "Before the edit." not in shown
    assert "post-edited" in shown


def test_a_vote_changes_the_count_every_reader_sees(app, client, reader, other_reader, article):
    post = factories.make_post(factories.public_discussion(article), reader, "Vote for me.")
    third = factories.make_user("third@example.org", "Theo Third")
    assert '<span class="vote-count">0</span>' in post_html(page_of(app, third, article), post.id)
    assert "0 votes" in post_html(page_of(app, None, article), post.id)

    login(client, other_reader)
    response = post_form(client, f"/posts/{post.id}/vote", {}, page=f"/articles/{article.slug}")
    assert response.status_code == 302
    voter = post_html(client.get(f"/articles/{article.slug}").get_data(as_text=True), post.id)
    assert 'aria-pressed="true"' in voter and '<span class="vote-count">1</span>' in voter
    others = post_html(page_of(app, third, article), post.id)
    assert 'aria-pressed="false"' in others and '<span class="vote-count">1</span>' in others
    assert "1 vote" in post_html(page_of(app, reader, article), post.id)  # the author's own


def test_moderation_decisions_are_shown_at_once(app, reader, other_reader, moderator, article):
    discussion = factories.public_discussion(article)
    held = factories.make_post(discussion, reader, "Held for review.", state=PostState.PENDING)
    kept = factories.make_post(discussion, reader, "Worth featuring.")
    assert "post-pending" in post_html(page_of(app, reader, article), held.id)
    assert "Held for review." not in page_of(app, other_reader, article)
    assert "badge" not in post_html(page_of(app, other_reader, article), kept.id)

    moderation.approve_post(moderator, held)
    moderation.feature_post(moderator, kept)
    db.session.commit()
    assert "post-pending" not in post_html(page_of(app, reader, article), held.id)
    assert "Held for review." in page_of(app, other_reader, article)
    assert "Featured" in post_html(page_of(app, other_reader, article), kept.id)

    moderation.feature_post(moderator, kept, featured=False)
    moderation.delete_post(moderator, held)
    db.session.commit()
    page = page_of(app, other_reader, article)
    assert "Held for review." not in page
    assert "badge" not in post_html(page, kept.id)


def test_a_rejected_post_leaves_every_page_even_its_authors(app, reader, moderator, article):
    held = factories.make_post(
        factories.public_discussion(article), reader, "Rejected soon.", state=PostState.PENDING
    )
    assert "Rejected soon." in page_of(app, moderator, article)
    moderation.reject_post(moderator, held, "Off topic.")
    db.session.commit()
    assert "Rejected soon." not in page_of(app, moderator, article)
    assert "Rejected soon." not in page_of(app, reader, article)


def test_a_deleted_post_with_replies_becomes_a_placeholder(app, reader, other_reader, article):
    discussion = factories.public_discussion(article)
    post = factories.make_post(discussion, reader, "Soon deleted.")
    factories.make_post(discussion, other_reader, "A reply that stays.", parent=post)
    post.reply_count = 1
    db.session.commit()
    assert "Soon deleted." in page_of(app, other_reader, article)
    services.delete_post(reader, post)
    db.session.commit()
    page = page_of(app, other_reader, article)
    assert "Soon deleted." not in page
    assert "This post was deleted" in post_html(page, post.id)
    assert "A reply that stays." in page


def test_a_renamed_author_is_shown_by_the_new_name(app, reader, other_reader, article):
    post = factories.make_post(factories.public_discussion(article), reader, "Signed.")
    assert "Rita Reader" in post_html(page_of(app, other_reader, article), post.id)
    reader.display_name = "Rita Renamed"
    db.session.commit()
    shown = post_html(page_of(app, other_reader, article), post.id)
    assert "Rita Renamed" in shown and "Rita Reader" not in shown


def test_no_reader_gets_another_readers_buttons_or_token(
    app, reader, other_reader, moderator, article
):
    post = factories.make_post(factories.public_discussion(article), reader, "Mine.")
    moderators = post_html(page_of(app, moderator, article), post.id)
    assert "Warn" in moderators and "Feature" in moderators and "Edit" in moderators

    others = page_of(app, other_reader, article)
    shown = post_html(others, post.id)
    assert "Warn" not in shown and "Feature" not in shown and "Edit" not in shown
    assert "Flag" in shown and "Upvote" in shown
    assert not set(TOKENS.findall(moderators)) & set(TOKENS.findall(others))

    authors = post_html(page_of(app, reader, article), post.id)
    assert "Edit" in authors and "Delete" in authors and "Flag" not in authors
    # Anonymous readers get no form, so no token and no session cookie.
    assert "csrf_token" not in post_html(page_of(app, None, article), post.id)


def test_the_readers_language_and_time_zone_are_their_own(app, reader, article):
    post = factories.make_post(factories.public_discussion(article), reader, "Bonjour.")
    eastern = factories.make_user("east@example.org", "Ed East", timezone="Asia/Tokyo")
    assert "UTC" in post_html(page_of(app, reader, article), post.id)
    assert "JST" in post_html(page_of(app, eastern, article), post.id)
    french = post_html(page_of(app, reader, article, **{"Accept-Language": "fr"}), post.id)
    assert "Lien vers ce message" in french
    assert "Link to this post" in post_html(page_of(app, reader, article), post.id)


ACTIONS = ("vote", "reply", "edit", "delete", "feature", "warn", "flag")


@pytest.mark.parametrize("in_group", [False, True], ids=["public", "group"])
@pytest.mark.parametrize("locked", [False, True])
def test_the_rights_decided_once_a_page_agree_with_the_rules_for_one_post(
    app, reader, other_reader, unverified, moderator, article, locked, in_group
):
    """ThreadRights decides for a page at once what the per-post rules decide one by one."""
    from flask_login import AnonymousUserMixin

    from forum.groups.models import MemberRole
    from forum.moderation import permissions as moderation_permissions
    from tests.moderation.conftest import make_group, make_group_discussion, make_membership

    banned = factories.make_user("banned@example.org", "Bea Banned")
    moderation.ban_user(moderator, banned, "Spam.")
    viewers = [AnonymousUserMixin(), reader, other_reader, unverified, banned, moderator]
    if in_group:
        # A group's own moderator, a member banned from the group, and readers outside it.
        group = make_group("Great Decisions Discussion group")
        discussion = make_group_discussion(article, group)
        for member in (reader, unverified):
            make_membership(group, member)
        group_moderator = factories.make_user("groupmod@example.org", "Gil Groupmod")
        make_membership(group, group_moderator, MemberRole.MODERATOR)
        group_banned = factories.make_user("groupban@example.org", "Gus Groupbanned")
        make_membership(group, group_banned)
        moderation.ban_from_group(group_moderator, group_banned, group, "Off topic.")
        viewers += [group_moderator, group_banned]
    else:
        discussion = factories.public_discussion(article)
    posts = [
        factories.make_post(discussion, reader, "Published."),
        factories.make_post(discussion, reader, "Pending.", state=PostState.PENDING),
        factories.make_post(discussion, reader, "Deleted.", state=PostState.DELETED),
        factories.make_post(discussion, moderator, "By the moderator."),
    ]
    discussion.is_locked = locked
    db.session.commit()
    one_by_one = {
        "vote": permissions.can_vote,
        "edit": permissions.can_edit_post,
        "delete": permissions.can_delete_post,
        "feature": moderation_permissions.can_feature_post,
        "warn": moderation_permissions.can_warn_author,
        "flag": moderation_permissions.can_flag_post,
    }
    with app.test_request_context():
        for viewer in viewers:
            rights = permissions.ThreadRights(viewer, discussion)
            for post in posts:
                decided = rights.for_post(post)
                for action, rule in one_by_one.items():
                    assert getattr(decided, action) == rule(viewer, post), (viewer, post, action)
                may_reply = permissions.can_reply(viewer, discussion) and post.is_published
                assert decided.reply == may_reply


def test_fragments_are_shared_through_redis(app):
    store = RedisPageStore(require_redis(), 1024 * 1024, 60)
    store.clear()
    keys = [fragment_key("test", n) for n in range(3)]
    with app.app_context():
        assert store.get_many(keys, 60) == [None, None, None]
        store.put_many({keys[0]: "<p>zéro</p>", keys[2]: "<p>two</p>"}, 60)
        assert store.get_many(keys, 60) == ["<p>zéro</p>", None, "<p>two</p>"]
    store.clear()


def test_a_new_release_never_uses_what_an_older_one_stored(app, reader, other_reader, article):
    post = factories.make_post(factories.public_discussion(article), reader, "Kept words.")
    page_of(app, other_reader, article)
    stored = fragments_stored(app)
    released = app.extensions["fragments_release"]
    try:
        # What a deployment with other code, templates or translations computes.
        app.extensions["fragments_release"] = "another-release"
        assert "Kept words." in post_html(page_of(app, other_reader, article), post.id)
        assert fragments_stored(app) > stored
        assert all(key[1] == "another-release" for key in _newest_fragments(app, stored))
    finally:
        app.extensions["fragments_release"] = released


def _newest_fragments(app, skip: int) -> list[tuple]:
    keys = [key for key in app.extensions["page_cache"].entries if key[0] == "fragment"]
    return keys[skip:]


def test_nothing_is_stored_while_templates_reload(app, reader, other_reader, article):
    factories.make_post(factories.public_discussion(article), reader, "Edited templates.")
    stored = fragments_stored(app)
    app.jinja_env.auto_reload = True
    try:
        assert "Edited templates." in page_of(app, other_reader, article)
        assert fragments_stored(app) == stored
    finally:
        app.jinja_env.auto_reload = False
