"""Lifting a ban from one group: whoever may ban someone from the group may lift it; the
member posts there again, and the log says who lifted it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.core.errors import PermissionDenied, ValidationFailed
from forum.discussions import services as discussions
from forum.extensions import db
from forum.groups.models import MemberRole, Membership, MemberState
from forum.moderation import services
from forum.moderation.models import Action, AuditEntry
from forum.moderation.permissions import can_lift_group_ban, group_bans, is_banned_from_group
from tests.conftest import csrf_token, login
from tests.moderation.conftest import make_membership, trust


def membership_of(user, group):
    return db.session.scalar(
        select(Membership).where(Membership.group_id == group.id, Membership.user_id == user.id)
    )


@pytest.fixture
def banned_member(group_moderator, group_member, group):
    trust(group_member)
    services.ban_from_group(group_moderator, group_member, group, "Trolling the group")
    db.session.commit()
    return group_member


def test_a_lifted_ban_lets_the_member_post_in_the_group_again(
    group_moderator, banned_member, group, group_discussion
):
    with pytest.raises(PermissionDenied):
        discussions.post_reply(banned_member, group_discussion, None, "Still here")
    db.session.rollback()

    penalty = services.lift_group_ban(group_moderator, banned_member, group)
    db.session.commit()

    assert not is_banned_from_group(banned_member, group.id)
    membership = membership_of(banned_member, group)
    assert membership.state is MemberState.ACTIVE and membership.role is MemberRole.MEMBER
    assert penalty.ends_at is not None
    assert discussions.post_reply(banned_member, group_discussion, None, "Back again").is_published
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action is Action.GROUP_UNBAN
    assert entry.actor_id == group_moderator.id and entry.target_user_id == banned_member.id
    assert entry.group_id == group.id
    assert entry.subject == f"Ban of {banned_member.display_name} from {group.name} lifted"


def test_lifting_the_ban_of_someone_who_never_joined_leaves_them_outside(moderator, reader, group):
    services.ban_from_group(moderator, reader, group, "Spam from outside")
    db.session.commit()
    services.lift_group_ban(moderator, reader, group)
    db.session.commit()
    # Not made a member by the lifting: they may join as anyone may.
    assert membership_of(reader, group) is None
    assert not is_banned_from_group(reader, group.id)


def test_lifting_the_ban_of_someone_who_only_asked_to_join_leaves_them_outside(
    moderator, reader, group
):
    """A request to join is not membership: the ban ends it, and lifting the ban does not
    make them a member no organiser approved (they may ask again)."""
    asked = make_membership(group, reader)
    asked.state = MemberState.PENDING
    db.session.commit()
    services.ban_from_group(moderator, reader, group, "Spam in the request")
    db.session.commit()
    services.lift_group_ban(moderator, reader, group)
    db.session.commit()
    assert membership_of(reader, group) is None
    assert not is_banned_from_group(reader, group.id)


def test_a_ban_is_lifted_once(group_moderator, banned_member, group, reader):
    services.lift_group_ban(group_moderator, banned_member, group)
    db.session.commit()
    with pytest.raises(ValidationFailed, match="is not banned from"):
        services.lift_group_ban(group_moderator, banned_member, group)
    with pytest.raises(ValidationFailed, match="is not banned from"):
        services.lift_group_ban(group_moderator, reader, group)
    lifted = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == Action.GROUP_UNBAN)
    ).all()
    assert len(lifted) == 1


def test_who_may_lift_a_group_ban_is_who_may_ban(
    group_moderator, other_group_moderator, moderator, admin, reader, banned_member, group
):
    group_member = banned_member
    for refused in (reader, other_group_moderator, group_member):
        assert not can_lift_group_ban(refused, group_member, group.id)
        with pytest.raises(PermissionDenied):
            services.lift_group_ban(refused, group_member, group)
    for allowed in (group_moderator, moderator, admin):
        assert can_lift_group_ban(allowed, group_member, group.id)

    # A site moderator banned from a group is lifted by an administrator, as they were banned.
    services.ban_from_group(admin, moderator, group, "Out of line here")
    db.session.commit()
    assert not can_lift_group_ban(group_moderator, moderator, group.id)
    with pytest.raises(PermissionDenied):
        services.lift_group_ban(group_moderator, moderator, group)
    services.lift_group_ban(admin, moderator, group)
    db.session.commit()
    assert not is_banned_from_group(moderator, group.id)


# persona -> (status of the POST, lifted?)
LIFT = {
    "anonymous": ("login", False),
    "reader": (403, False),
    "other_group_moderator": (403, False),
    "group_moderator": (302, True),
    "moderator": (302, True),
    "admin": (302, True),
}


@pytest.mark.parametrize("persona", LIFT)
def test_lifting_over_http_is_checked_on_the_server(request, client, persona, banned_member, group):
    expected, lifted = LIFT[persona]
    if persona != "anonymous":
        login(client, request.getfixturevalue(persona))
    token = csrf_token(client, "/auth/login")
    response = client.post(
        f"/moderation/groups/{group.id}/ban/{banned_member.id}/lift", data={"csrf_token": token}
    )
    if expected == "login":
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login")
    else:
        assert response.status_code == expected
    db.session.expire_all()
    assert is_banned_from_group(banned_member, group.id) is not lifted


def test_the_groups_moderation_page_lists_its_bans_with_a_button(
    client, group_moderator, banned_member, group
):
    login(client, group_moderator)
    url = f"/moderation/groups/{group.id}/policy"
    page = client.get(url).get_data(as_text=True)
    assert f"People banned from {group.name}" in page
    assert "Trolling the group" in page
    assert f"Lift the ban of {banned_member.display_name}" in page

    response = client.post(
        f"/moderation/groups/{group.id}/ban/{banned_member.id}/lift",
        data={"csrf_token": csrf_token(client, url)},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert (
        f"The ban is lifted: {banned_member.display_name} can post in the discussions of "
        f"{group.name} again." in page
    )
    assert "Nobody is banned from this group." in page

    log = client.get("/moderation/log").get_data(as_text=True)
    assert f"Ban of {banned_member.display_name} from {group.name} lifted" in log


def test_group_bans_lists_each_banned_person_with_the_ban_in_force(
    group_moderator, banned_member, group, reader, other_reader
):
    make_membership(group, other_reader)  # a member in good standing is not listed
    services.ban_from_group(group_moderator, reader, group, "Spam")
    db.session.commit()
    bans = group_bans(group.id)
    # By name: Meg Member, then Rita Reader.
    assert [(ban.user.id, ban.penalty.reason) for ban in bans] == [
        (banned_member.id, "Trolling the group"),
        (reader.id, "Spam"),
    ]


def test_the_ban_page_of_someone_banned_already_offers_to_lift_it(
    client, group_moderator, banned_member, group
):
    login(client, group_moderator)
    url = f"/moderation/groups/{group.id}/ban/{banned_member.id}?next=/moderation/"
    page = client.get(url).get_data(as_text=True)
    assert f"{banned_member.display_name} is banned from {group.name} already." in page

    response = client.post(
        f"/moderation/groups/{group.id}/ban/{banned_member.id}/lift",
        data={"csrf_token": csrf_token(client, url), "next": "/moderation/"},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/moderation/"
    db.session.expire_all()
    assert not is_banned_from_group(banned_member, group.id)
    page = client.get(url).get_data(as_text=True)
    assert "already." not in page
