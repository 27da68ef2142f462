"""Every path a new post takes through the moderation policy."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.core.errors import PermissionDenied, ValidationFailed
from forum.discussions import services as discussions
from forum.discussions.models import Post, PostState
from forum.extensions import db
from forum.moderation import services
from forum.moderation.models import Mode
from forum.moderation.policy import effective_policy, site_policy, words_in
from tests.conftest import login, post_form
from tests.moderation.conftest import make_membership, set_policy, trust


def post(actor, discussion, body="A fair point about the border.", parent=None):
    made = discussions.post_reply(actor, discussion, parent, body)
    db.session.commit()
    return made


def test_by_default_a_new_users_posts_wait_until_three_were_approved(reader, moderator, discussion):
    policy = effective_policy(discussion)
    assert (policy.mode, policy.new_user_posts, policy.flag_threshold) == (Mode.NEW_USERS, 3, 3)
    for n in range(3):
        held = post(reader, discussion, f"Early post {n}")
        assert held.state is PostState.PENDING
        assert held.hold_labels == ["new user"]
        services.approve_post(moderator, held)
        db.session.commit()
    assert reader.approved_post_count == 3
    assert post(reader, discussion, "Now trusted").state is PostState.PUBLISHED


def test_a_held_post_is_not_counted_until_it_is_approved(reader, moderator, discussion):
    held = post(reader, discussion)
    assert discussion.post_count == 0
    services.approve_post(moderator, held)
    db.session.commit()
    assert discussion.post_count == 1
    assert held.moderated_at is not None


def test_pre_moderation_holds_everyone_but_moderators(reader, moderator, discussion):
    set_policy(mode=Mode.ALL)
    trust(reader)
    assert post(reader, discussion).hold_labels == ["pre-moderation"]
    assert post(moderator, discussion).state is PostState.PUBLISHED


def test_post_moderation_publishes_a_newcomer_at_once(reader, discussion):
    set_policy(mode=Mode.NONE)
    assert post(reader, discussion).state is PostState.PUBLISHED


def test_a_banned_word_refuses_the_post_and_says_which(reader, discussion):
    set_policy(mode=Mode.NONE, banned_words="scam\nidiots")
    with pytest.raises(ValidationFailed) as refused:
        post(reader, discussion, "What a SCAM this is")
    assert refused.value.field == "body"
    assert "“scam”" in refused.value.message
    db.session.rollback()
    # Whole words only: a longer word that contains it is fine.
    assert post(reader, discussion, "The scampi was good").state is PostState.PUBLISHED


def test_a_banned_word_over_http_keeps_the_text_beside_the_message(client, reader, discussion):
    set_policy(banned_words="scam")
    login(client, reader)
    response = post_form(
        client, f"/discussions/{discussion.id}/posts", {"body": "This is a scam, surely"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "may not contain “scam”" in html
    assert "This is a scam, surely</textarea>" in html
    assert db.session.scalar(select(func.count()).select_from(Post)) == 0


def test_editing_in_a_banned_word_is_refused_too(reader, discussion):
    set_policy(mode=Mode.NONE, banned_words="scam")
    written = post(reader, discussion, "Fine words")
    with pytest.raises(ValidationFailed):
        discussions.edit_post(reader, written, "Now a scam")


def test_suspect_words_hold_a_trusted_users_post_and_say_which(reader, discussion):
    set_policy(suspect_words="traitor, puppet")
    trust(reader)
    held = post(reader, discussion, "He is a Puppet of Beijing")
    assert held.state is PostState.PENDING
    assert held.hold_labels == ["suspect word “puppet”"]


def test_links_from_new_users_are_held_without_pre_moderation(reader, other_reader, discussion):
    set_policy(mode=Mode.NONE)
    trust(other_reader)
    held = post(reader, discussion, "Read [this](https://example.org/x)")
    assert held.hold_labels == ["link from a new user"]
    assert post(other_reader, discussion, "See https://example.org").is_published
    set_policy(hold_links=False)
    assert post(reader, discussion, "www.example.org has more").is_published


def test_a_new_users_post_may_collect_several_reasons(reader, discussion):
    set_policy(suspect_words="puppet")
    held = post(reader, discussion, "A puppet, see https://example.org")
    assert held.hold_labels == ["new user", "suspect word “puppet”", "link from a new user"]


def test_a_group_overrides_the_site_and_a_discussion_overrides_the_group(
    reader, group, discussion, group_discussion
):
    make_membership(group, reader)
    set_policy(group_id=group.id, mode=Mode.NONE)
    assert post(reader, discussion).is_pending
    assert post(reader, group_discussion, "In the group").is_published
    set_policy(discussion_id=group_discussion.id, mode=Mode.ALL)
    trust(reader)
    assert post(reader, group_discussion, "Held again").hold_labels == ["pre-moderation"]


def test_group_moderators_are_not_held_in_their_group_only(
    group_moderator, discussion, group_discussion
):
    assert post(group_moderator, group_discussion).is_published
    assert post(group_moderator, discussion).is_pending


def test_the_read_only_switch_stops_all_but_admins(reader, moderator, admin, discussion):
    set_policy(mode=Mode.NONE)
    written = post(reader, discussion)
    set_policy(read_only=True)
    with pytest.raises(PermissionDenied, match="read-only"):
        post(moderator, discussion, "Not now")
    with pytest.raises(PermissionDenied, match="read-only"):
        discussions.toggle_vote(moderator, written)
    assert post(admin, discussion, "Announcement").is_published


def test_a_group_cannot_switch_the_site_out_of_read_only(reader, group, group_discussion):
    make_membership(group, reader)
    set_policy(read_only=True)
    set_policy(group_id=group.id, read_only=False)
    with pytest.raises(PermissionDenied):
        post(reader, group_discussion)


def test_words_match_phrases_and_ignore_case():
    assert words_in(["sell out", "x"], "They SELL  OUT? no: sell out.") == ["sell out"]
    assert words_in(["c++"], "I like C++ a lot") == ["c++"]


def test_only_admins_change_the_site_policy_and_each_change_is_logged(admin, moderator):
    with pytest.raises(PermissionDenied):
        services.update_site_policy(moderator, {"flag_threshold": 5})
    services.update_site_policy(admin, {"flag_threshold": 5, "banned_words": "a, b\nb"})
    db.session.commit()
    assert site_policy().flag_threshold == 5
    assert site_policy().banned == ["a", "b"]
    with pytest.raises(ValidationFailed):
        services.update_site_policy(admin, {"flag_threshold": 0})


def test_a_group_moderator_sets_their_groups_policy_only(group_moderator, group, other_group):
    services.update_scoped_policy(group_moderator, {"mode": Mode.ALL}, group_id=group.id)
    with pytest.raises(PermissionDenied):
        services.update_scoped_policy(group_moderator, {"mode": Mode.NONE}, group_id=other_group.id)


def test_an_admin_edits_the_policy_page(client, admin, reader, discussion):
    login(client, admin)
    form = client.get("/moderation/policy").get_data(as_text=True)
    assert 'value="3"' in form and "Read-only site" in form
    response = post_form(
        client,
        "/moderation/policy",
        {
            "mode": "all",
            "new_user_posts": "5",
            "flag_threshold": "2",
            "banned_words": "scam\nscam\n fraud ",
            "suspect_words": "",
            "hold_links": "y",
        },
    )
    assert response.status_code == 302
    policy = site_policy()
    assert (policy.mode, policy.new_user_posts, policy.flag_threshold) == (Mode.ALL, 5, 2)
    assert policy.banned == ["scam", "fraud"] and policy.hold_links and not policy.read_only
    bad = post_form(client, "/moderation/policy", {"mode": "all", "new_user_posts": "-1"})
    assert bad.status_code == 422
    assert "field-error" in bad.get_data(as_text=True)
    assert "Changed the policy" in client.get("/moderation/log").get_data(as_text=True)


def test_a_group_moderator_edits_their_groups_policy_page(
    client, group_moderator, group, other_group, reader, group_discussion
):
    login(client, group_moderator)
    url = f"/moderation/groups/{group.id}/policy"
    assert "As the site’s policy" in client.get(url).get_data(as_text=True)
    response = post_form(
        client, url, {"mode": "none", "new_user_posts": "", "flag_threshold": "1",
                      "banned_words": "", "suspect_words": "", "hold_links": "0"},
    )  # fmt: skip
    assert response.status_code == 302
    policy = effective_policy(group_discussion)
    assert (policy.mode, policy.new_user_posts, policy.flag_threshold) == (Mode.NONE, 3, 1)
    assert not policy.hold_links
    assert client.get(f"/moderation/groups/{other_group.id}/policy").status_code == 403
    login(client, reader)
    assert client.get(url).status_code == 403
