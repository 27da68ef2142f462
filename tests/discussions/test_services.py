from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from forum.accounts.models import UserStatus
from forum.core.db import utc_now
from forum.core.errors import PermissionDenied, ValidationFailed
from forum.discussions import services
from forum.discussions.models import Follow, PostRevision, PostState
from forum.discussions.permissions import closed_notice
from forum.extensions import db
from tests import factories


def test_replies_nest_at_any_depth_with_their_path(reader, discussion):
    top = services.post_reply(reader, discussion, None, "Top level")
    chain = [top]
    for depth in range(1, 9):
        chain.append(services.post_reply(reader, discussion, chain[-1], f"Depth {depth}"))
    db.session.commit()
    deepest = chain[-1]
    assert deepest.depth == 8
    assert deepest.root_id == top.id
    assert deepest.ancestor_ids() == [post.id for post in chain[:-1]]
    assert discussion.post_count == 9
    assert chain[0].reply_count == 1


def test_posting_renders_markdown_once_and_follows_the_discussion(reader, discussion):
    post = services.post_reply(reader, discussion, None, "I *agree*, see <script>x</script>")
    db.session.commit()
    assert post.body_html == "<p>I <em>agree</em>, see &lt;script&gt;x&lt;/script&gt;</p>\n"
    assert db.session.get(Follow, {"discussion_id": discussion.id, "user_id": reader.id})


@pytest.mark.parametrize(
    ("persona", "state", "allowed"),
    [
        ("reader", "open", True),
        ("reader", "locked", False),
        ("unverified", "open", False),
        ("banned", "open", False),
        ("moderator", "locked", True),
        ("admin", "locked", True),
    ],
)
def test_who_may_post(request, discussion, persona, state, allowed):
    if persona == "banned":
        actor = request.getfixturevalue("reader")
        actor.status = UserStatus.BANNED
    else:
        actor = request.getfixturevalue(persona)
    discussion.is_locked = state == "locked"
    db.session.commit()
    if allowed:
        assert services.post_reply(actor, discussion, None, "Hello").id
    else:
        with pytest.raises(PermissionDenied):
            services.post_reply(actor, discussion, None, "Hello")


def test_a_ban_that_has_run_out_no_longer_stops_posting(reader, discussion):
    reader.status = UserStatus.BANNED
    reader.banned_until = utc_now() - timedelta(days=1)
    assert services.post_reply(reader, discussion, None, "Back again").id


@pytest.mark.parametrize("body", ["", "   \n\t  ", "x" * (services.MAX_BODY_LENGTH + 1)])
def test_empty_and_oversized_bodies_are_refused(reader, discussion, body):
    with pytest.raises(ValidationFailed) as refused:
        services.post_reply(reader, discussion, None, body)
    assert refused.value.field == "body"


def test_replying_into_another_discussion_is_refused(reader, discussion, other_discussion):
    elsewhere = factories.make_post(other_discussion, reader, "Elsewhere")
    with pytest.raises(ValidationFailed, match="another discussion"):
        services.post_reply(reader, discussion, elsewhere, "Crossing over")


def test_replying_to_a_deleted_post_is_refused(reader, other_reader, discussion):
    post = factories.make_post(discussion, other_reader, "Soon gone")
    services.delete_post(other_reader, post)
    with pytest.raises(ValidationFailed, match="deleted"):
        services.post_reply(reader, discussion, post, "Too late")


def test_the_same_text_twice_in_the_same_place_is_one_post(reader, discussion):
    first = services.post_reply(reader, discussion, None, "Once only")
    db.session.commit()
    with pytest.raises(services.DuplicatePost) as duplicate:
        services.post_reply(reader, discussion, None, "Once only")
    assert duplicate.value.post.id == first.id
    later = first.created_at + services.DUPLICATE_WINDOW + timedelta(seconds=1)
    assert services.post_reply(reader, discussion, None, "Once only", now=later).id != first.id


def test_a_double_submission_is_caught_however_much_its_author_wrote(reader, discussion):
    # The check reads the author's latest post in the place, not all their recent ones.
    for number in range(30):
        services.post_reply(reader, discussion, None, f"Thought number {number}")
    db.session.commit()
    with pytest.raises(services.DuplicatePost) as duplicate:
        services.post_reply(reader, discussion, None, "Thought number 29")
    assert duplicate.value.post.body_md == "Thought number 29"


def test_editing_keeps_the_earlier_text(reader, discussion):
    post = services.post_reply(reader, discussion, None, "First thought")
    services.edit_post(reader, post, "Second thought")
    db.session.commit()
    assert post.body_md == "Second thought" and post.edited_at is not None
    revisions = db.session.query(PostRevision).filter_by(post_id=post.id).all()
    assert [revision.body_md for revision in revisions] == ["First thought"]


def test_only_the_author_or_a_moderator_edits(reader, other_reader, moderator, discussion):
    post = services.post_reply(reader, discussion, None, "Mine")
    with pytest.raises(PermissionDenied):
        services.edit_post(other_reader, post, "Not yours")
    services.edit_post(moderator, post, "Tidied by a moderator")
    assert post.body_md == "Tidied by a moderator"


def test_deleting_keeps_replies_in_place(reader, other_reader, discussion):
    post = services.post_reply(reader, discussion, None, "Parent")
    reply = services.post_reply(other_reader, discussion, post, "Child")
    services.delete_post(reader, post)
    db.session.commit()
    assert post.state is PostState.DELETED
    assert reply.parent_id == post.id and reply.state is PostState.PUBLISHED
    assert discussion.post_count == 1
    with pytest.raises(PermissionDenied):
        services.delete_post(reader, post)


def test_votes_count_once_and_never_for_oneself(reader, other_reader, discussion):
    post = services.post_reply(reader, discussion, None, "Vote for me")
    with pytest.raises(PermissionDenied):
        services.toggle_vote(reader, post)
    assert services.toggle_vote(other_reader, post) is True
    db.session.commit()
    assert post.score == 1
    assert services.toggle_vote(other_reader, post) is False
    db.session.commit()
    assert post.score == 0


def test_each_post_leaves_its_author_following_once(reader, discussion):
    key = {"discussion_id": discussion.id, "user_id": reader.id}
    first = services.post_reply(reader, discussion, None, "First")
    services.post_reply(reader, discussion, first, "Second, in the same transaction")
    db.session.commit()
    services.post_reply(reader, discussion, None, "Third, already following")
    db.session.commit()
    assert db.session.get(Follow, key)
    services.set_following(reader, discussion, False)
    db.session.commit()
    services.post_reply(reader, discussion, None, "Posting again follows again")
    db.session.commit()
    assert db.session.get(Follow, key)


def test_unfollowing_and_following_again(reader, discussion):
    services.set_following(reader, discussion, True)
    services.set_following(reader, discussion, True)
    db.session.commit()
    key = {"discussion_id": discussion.id, "user_id": reader.id}
    assert db.session.get(Follow, key)
    services.set_following(reader, discussion, False)
    db.session.commit()
    assert db.session.get(Follow, key) is None


def test_only_moderators_close_discussions(reader, admin, discussion):
    with pytest.raises(PermissionDenied):
        services.set_discussion_locked(reader, discussion, True)
    services.set_discussion_locked(admin, discussion, True)
    assert discussion.is_locked


def test_discussions_close_a_set_number_of_days_after_publication(
    app, monkeypatch, reader, moderator, article, discussion
):
    article.published_at = utc_now() - timedelta(days=31)
    db.session.commit()
    assert closed_notice(discussion) is None
    monkeypatch.setitem(app.config, "DISCUSSIONS_CLOSE_AFTER_DAYS", 30)
    assert "closed to new posts 30 days after" in closed_notice(discussion)
    with pytest.raises(PermissionDenied, match="30 days after"):
        services.post_reply(reader, discussion, None, "Too late")
    assert services.post_reply(moderator, discussion, None, "Moderators may still post").id
    article.published_at = utc_now() - timedelta(days=29)
    assert closed_notice(discussion) is None


def test_a_follow_made_by_a_reply_sent_at_the_same_moment_is_kept(monkeypatch, reader, discussion):
    """Two replies sent together both read "not following yet"; the second to insert the
    follow finds it made instead of failing."""
    read = services._posting_context

    def read_before_the_other_committed(*args):
        return SimpleNamespace(**{**read(*args)._asdict(), "follows": False})

    services.post_reply(reader, discussion, None, "The first of two.")
    db.session.commit()
    monkeypatch.setattr(services, "_posting_context", read_before_the_other_committed)
    services.post_reply(reader, discussion, None, "The second, sent at once.")
    db.session.commit()
    follows = db.session.scalars(select(Follow).where(Follow.user_id == reader.id)).all()
    assert len(follows) == 1
