from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.core.errors import PermissionDenied, ValidationFailed
from forum.extensions import db
from forum.groups.models import Group, JoinPolicy, MemberRole, Membership, MemberState, Visibility
from forum.groups.services import add_member, ensure_group, update_group
from tests.groups.conftest import make_membership


def test_ensure_group_creates_a_public_open_group():
    group = ensure_group("Great Decisions Discussion group")
    assert group.id is not None
    assert group.slug == "great-decisions-discussion-group"
    assert group.name == "Great Decisions Discussion group"
    assert group.visibility is Visibility.PUBLIC
    assert group.join_policy is JoinPolicy.OPEN


def test_ensure_group_finds_the_same_group_by_its_slug():
    first = ensure_group("Great Decisions Discussion group")
    db.session.commit()
    again = ensure_group("  great decisions   DISCUSSION group ")
    assert again.id == first.id
    assert again.name == "Great Decisions Discussion group"
    assert db.session.scalar(select(func.count()).select_from(Group)) == 1


def _roles(group):
    return {
        m.user.email: (m.role, m.state)
        for m in db.session.scalars(select(Membership).where(Membership.group_id == group.id))
    }


# Who may add members: persona -> allowed or refused.
@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("operator", True),
        ("admin", True),
        ("organiser", True),
        ("moderator", False),  # a site moderator holds no office in the group
        ("reader", False),
        ("plain_member", False),
    ],
)
def test_who_may_add_members(request, group, other_reader, persona, allowed):
    if persona == "operator":
        actor = None
    elif persona == "plain_member":
        actor = request.getfixturevalue("reader")
        make_membership(group, actor)
    else:
        actor = request.getfixturevalue(persona)
    if allowed:
        add_member(actor, group, other_reader, "moderator")
        db.session.commit()
        assert _roles(group)[other_reader.email] == (MemberRole.MODERATOR, MemberState.ACTIVE)
    else:
        with pytest.raises(PermissionDenied):
            add_member(actor, group, other_reader, "member")
        assert other_reader.email not in _roles(group)


def test_adding_an_existing_member_changes_the_role_and_accepts_a_pending_request(group, reader):
    make_membership(group, reader, MemberRole.MEMBER, MemberState.PENDING)
    add_member(None, group, reader, MemberRole.ORGANISER)
    db.session.commit()
    assert _roles(group)[reader.email] == (MemberRole.ORGANISER, MemberState.ACTIVE)
    assert db.session.scalar(select(func.count()).select_from(Membership)) == 1


def test_a_member_banned_from_the_group_is_not_silently_let_back_in(group, reader):
    make_membership(group, reader, MemberRole.MEMBER, MemberState.BANNED)
    with pytest.raises(ValidationFailed, match="banned"):
        add_member(None, group, reader, "member")
    db.session.rollback()
    assert _roles(group)[reader.email] == (MemberRole.MEMBER, MemberState.BANNED)


def test_an_unknown_role_is_refused(group, reader):
    with pytest.raises(ValidationFailed, match="choose one of organiser, moderator, member"):
        add_member(None, group, reader, "chair")


def test_organisers_edit_the_description_and_readers_cannot(group, organiser, reader):
    update_group(organiser, group, description="  Second Thursdays, 7 pm.  ")
    db.session.commit()
    assert group.description == "Second Thursdays, 7 pm."
    with pytest.raises(PermissionDenied):
        update_group(reader, group, description="Hijacked")
    assert group.description == "Second Thursdays, 7 pm."
