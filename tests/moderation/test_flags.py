"""Readers flag posts; enough of them, or one moderator, hide a post pending review."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.core.errors import PermissionDenied, ValidationFailed
from forum.discussions.models import PostState
from forum.extensions import db
from forum.moderation import services
from forum.moderation.models import Action, AuditEntry, Flag
from tests import factories
from tests.conftest import login, post_form
from tests.moderation.conftest import set_policy


@pytest.fixture
def published(discussion, other_reader):
    return factories.make_post(discussion, other_reader, "A heated opinion.")


def readers(count: int):
    return [factories.make_user(f"flagger{n}@example.org", f"Flagger {n}") for n in range(count)]


def test_a_reader_flags_once_with_a_reason(reader, published):
    flag = services.flag_post(reader, published, "spam")
    db.session.commit()
    assert flag.reason_label == "Spam"
    with pytest.raises(ValidationFailed, match="already flagged"):
        services.flag_post(reader, published, "abuse")


def test_other_needs_a_note(reader, published):
    with pytest.raises(ValidationFailed) as refused:
        services.flag_post(reader, published, "other", "  ")
    assert refused.value.field == "note"
    assert services.flag_post(reader, published, "other", "Copied from elsewhere").note


def test_three_distinct_readers_hide_a_post(published, discussion):
    first, second, third = readers(3)
    services.flag_post(first, published, "abuse")
    services.flag_post(second, published, "spam")
    db.session.commit()
    assert published.state is PostState.PUBLISHED
    services.flag_post(third, published, "off_topic")
    db.session.commit()
    assert published.state is PostState.PENDING
    assert published.hold_labels == ["flags ×3"]
    assert discussion.post_count == 0
    hide = db.session.scalar(select(AuditEntry).where(AuditEntry.action == Action.HIDE))
    assert hide.actor_id is None and hide.post_id == published.id


def test_the_threshold_follows_the_policy(published):
    set_policy(flag_threshold=1)
    services.flag_post(readers(1)[0], published, "spam")
    assert published.state is PostState.PENDING


def test_a_moderators_flag_hides_at_once(moderator, published):
    services.flag_post(moderator, published, "abuse")
    db.session.commit()
    assert published.state is PostState.PENDING
    assert published.hold_labels == ["moderator flag: abusive or uncivil"]


def test_a_group_moderators_flag_outside_their_group_counts_as_a_readers(
    group_moderator, published
):
    services.flag_post(group_moderator, published, "abuse")
    assert published.state is PostState.PUBLISHED


@pytest.mark.parametrize("who", ["author", "unverified", "suspended"])
def test_who_may_not_flag(request, who, published, other_reader):
    if who == "author":
        actor = other_reader
    else:
        actor = request.getfixturevalue("unverified" if who == "unverified" else "reader")
    if who == "suspended":
        moderator = factories.make_user("m@example.org", "M", role="moderator")
        services.ban_user(moderator, actor, "Spamming")
        db.session.commit()
    with pytest.raises(PermissionDenied):
        services.flag_post(actor, published, "spam")


def test_the_flag_form_works_without_javascript_and_the_flagger_sees_it(
    client, reader, article, published
):
    login(client, reader)
    flag_page = f"/posts/{published.id}/flag"
    page = client.get(f"/articles/{article.slug}").get_data(as_text=True)
    # Each post links to the flag form, a page of its own.
    assert f'href="{flag_page}"' in page
    assert "Flag this post" in client.get(flag_page).get_data(as_text=True)
    response = post_form(client, flag_page, {"reason": "abuse"}, page=flag_page)
    assert response.status_code == 302
    assert db.session.scalar(select(Flag)).user_id == reader.id
    page = client.get(f"/articles/{article.slug}").get_data(as_text=True)
    assert "You flagged this post" in page
    assert f'href="{flag_page}"' not in page


def test_a_flag_without_a_note_shows_the_form_again(client, reader, published):
    login(client, reader)
    response = post_form(client, f"/posts/{published.id}/flag", {"reason": "other", "note": ""})
    assert response.status_code == 422
    assert "Say what is wrong with the post." in response.get_data(as_text=True)


def test_anonymous_visitors_are_asked_to_log_in_to_flag(client, published):
    response = client.post(f"/posts/{published.id}/flag", data={"reason": "spam"})
    # CSRF refuses the forged post before anything else; with a token, login comes first.
    assert response.status_code in (302, 400)
    assert client.get(f"/posts/{published.id}/flag").status_code == 302


def test_flagging_is_limited_per_person(app, client, reader, discussion, other_reader, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_FLAGGING", "2 per hour")
    posts = [factories.make_post(discussion, other_reader, f"Post {n}") for n in range(3)]
    login(client, reader)
    for post in posts[:2]:
        assert post_form(client, f"/posts/{post.id}/flag", {"reason": "spam"}).status_code == 302
    response = post_form(client, f"/posts/{posts[2].id}/flag", {"reason": "spam"})
    assert response.status_code == 429
    assert "flagged many posts" in response.get_data(as_text=True)
