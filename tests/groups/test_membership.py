"""Joining, requests, invitations, leaving and removal: the rules and what people are told."""

from __future__ import annotations

import pytest

from forum.core.errors import PermissionDenied, ValidationFailed
from forum.extensions import db
from forum.groups import services
from forum.groups.models import JoinPolicy, MemberRole, MemberState, VenueType, Visibility
from forum.groups.permissions import is_group_member, membership_of
from tests import factories
from tests.groups.conftest import emails_to, make_membership


def test_an_admin_creates_a_group_and_becomes_its_organiser(admin):
    group = services.create_group(
        admin,
        services.GroupInput(
            name="Springfield Great Decisions",
            description="Thursday evenings.",
            place="Springfield, IL",
            venue_type="library",
            meeting_pattern="Thursdays at 7pm",
            visibility="members",
            join_policy="request",
            timezone="America/Chicago",
        ),
    )
    db.session.commit()
    assert group.slug == "springfield-great-decisions"
    assert group.venue_type is VenueType.LIBRARY
    assert group.visibility is Visibility.MEMBERS
    assert membership_of(admin, group).role is MemberRole.ORGANISER


def test_readers_cannot_create_groups_and_bad_values_are_refused(reader, admin):
    with pytest.raises(PermissionDenied):
        services.create_group(reader, services.GroupInput(name="Mine"))
    with pytest.raises(ValidationFailed) as error:
        services.create_group(admin, services.GroupInput(name="X", timezone="Mars/Olympus"))
    assert error.value.field == "timezone"
    with pytest.raises(ValidationFailed) as error:
        services.create_group(admin, services.GroupInput(name="X", venue_type="castle"))
    assert error.value.field == "venue_type"


def test_an_open_group_is_joined_at_once(group, reader):
    membership = services.join_group(reader, group)
    assert membership.state is MemberState.ACTIVE
    with pytest.raises(PermissionDenied):
        services.join_group(reader, group)


def test_a_request_waits_and_the_requester_is_told_the_answer(group, organiser, reader):
    group.join_policy = JoinPolicy.REQUEST
    membership = services.join_group(reader, group)
    db.session.commit()
    assert membership.state is MemberState.PENDING
    assert not is_group_member(reader, group)
    assert "asks to join" in emails_to(organiser.email)[0].subject

    services.approve_request(organiser, group, membership)
    db.session.commit()
    assert is_group_member(reader, group)
    assert "now a member" in emails_to(reader.email)[-1].subject


def test_a_declined_request_is_removed_and_the_requester_told(group, organiser, reader):
    group.join_policy = JoinPolicy.REQUEST
    membership = services.join_group(reader, group)
    services.decline_request(organiser, group, membership)
    db.session.commit()
    assert membership_of(reader, group) is None
    assert "declined" in emails_to(reader.email)[-1].subject


def test_only_organisers_answer_requests(group, organiser, reader, other_reader):
    group.join_policy = JoinPolicy.REQUEST
    membership = services.join_group(reader, group)
    make_membership(group, other_reader)
    with pytest.raises(PermissionDenied):
        services.approve_request(other_reader, group, membership)


def test_an_invite_only_group_is_joined_through_the_emailed_link(group, organiser, reader):
    group.join_policy = JoinPolicy.INVITE
    with pytest.raises(PermissionDenied):
        services.join_group(reader, group)
    token = services.invite(organiser, group, "Reader@Example.org")
    db.session.commit()
    email = emails_to("Reader@Example.org")[0]
    assert f"/groups/invitations/{token}" in email.text_body
    services.accept_invitation(reader, token)
    assert is_group_member(reader, group)


def test_an_invitation_is_for_its_address_and_cannot_be_forged(
    group, organiser, reader, other_reader
):
    token = services.invite(organiser, group, reader.email)
    with pytest.raises(PermissionDenied):
        services.accept_invitation(other_reader, token)
    with pytest.raises(ValidationFailed):
        services.accept_invitation(reader, token[:-3] + "abc")


def test_leaving_and_the_last_organiser_stays(group, organiser, reader):
    make_membership(group, reader)
    services.leave_group(reader, group)
    assert membership_of(reader, group) is None
    with pytest.raises(ValidationFailed):
        services.leave_group(organiser, group)
    second = factories.make_user("second@example.org", "Sam Second")
    make_membership(group, second, MemberRole.ORGANISER)
    services.leave_group(organiser, group)
    assert membership_of(organiser, group) is None


def test_organisers_remove_members_and_change_roles(group, organiser, reader):
    membership = make_membership(group, reader)
    services.add_member(organiser, group, reader, "moderator")
    assert membership.role is MemberRole.MODERATOR
    services.remove_member(organiser, group, membership)
    assert membership_of(reader, group) is None
    with pytest.raises(ValidationFailed):
        services.add_member(organiser, group, organiser, "member")
