"""Who may do what with groups and their sessions: functions of the actor and the group (or
session), which read at most the actor's own membership row.

Visibility is not decided here alone: queries turn "may not view" into a 404, so a
members-only group and everything in it do not exist for others.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from forum.accounts.permissions import is_active_member, is_admin, is_signed_in
from forum.admin.models import GroupArchive
from forum.core.db import utc_now
from forum.core.errors import PermissionDenied
from forum.core.memo import request_memo
from forum.extensions import db
from forum.groups.models import (
    Ballot,
    BallotStatus,
    BallotVoter,
    Group,
    GroupSession,
    JoinPolicy,
    MemberRole,
    Membership,
    MemberState,
    Rsvp,
    RsvpStatus,
    Visibility,
)

# A page asks about the viewer's membership and the group's archive state many times (the
# view, then every button in the template): a request remembers each answer once read, keyed
# by (user id, group id) and group id, until it writes (forum.core.memo).
_MEMO = "group_permissions"
_MISSING = object()


def remember_group_reads(user, group: Group, membership: Membership | None, archived: bool) -> None:
    """Record what a query already read with the group (see queries.get_group_for), so the
    permissions below do not read it again during this request."""
    reads = request_memo(_MEMO)
    if reads is None or group.id is None:
        return
    if is_signed_in(user):
        reads[("membership", user.id, group.id)] = membership
    reads[("archived", group.id)] = archived


def membership_of(user, group: Group) -> Membership | None:
    """The user's membership row in ``group``, whatever its state."""
    if not is_signed_in(user) or group.id is None:
        return None
    return membership_in(user.id, group.id)


def membership_in(user_id: int, group_id: int) -> Membership | None:
    """Someone's membership row in a group, by ids, whatever its state (read once a request)."""
    reads = request_memo(_MEMO)
    key = ("membership", user_id, group_id)
    if reads is not None and (known := reads.get(key, _MISSING)) is not _MISSING:
        return known
    membership = db.session.scalar(
        select(Membership).where(Membership.group_id == group_id, Membership.user_id == user_id)
    )
    if reads is not None:
        reads[key] = membership
    return membership


def read_memberships(pairs: Iterable[tuple[int, int]]) -> None:
    """Read the memberships of many (user id, group id) pairs in one query, for a page that
    asks about each of them (the moderation queue's group bans)."""
    reads = request_memo(_MEMO)
    if reads is None:
        return
    wanted = {pair for pair in pairs if ("membership", *pair) not in reads}
    if not wanted:
        return
    found = {
        (membership.user_id, membership.group_id): membership
        for membership in db.session.scalars(
            select(Membership).where(
                Membership.user_id.in_({user_id for user_id, _group in wanted}),
                Membership.group_id.in_({group_id for _user, group_id in wanted}),
            )
        )
    }
    for pair in wanted:
        reads[("membership", *pair)] = found.get(pair)


def _role_of(user, group: Group) -> MemberRole | None:
    """The user's role if they are an active member, else None."""
    membership = membership_of(user, group)
    if membership is None or membership.state is not MemberState.ACTIVE:
        return None
    return membership.role


def is_group_member(user, group: Group) -> bool:
    return _role_of(user, group) is not None


def is_group_organiser(user, group: Group) -> bool:
    return _role_of(user, group) is MemberRole.ORGANISER


def _runs_group(user, group: Group) -> bool:
    return is_admin(user) or is_group_organiser(user, group)


def is_archived(group: Group) -> bool:
    """An admin archived the group (forum.admin): it stays readable, but it takes no new
    members, holds no new sessions or ballots, and its RSVPs, votes and discussions are
    closed (the admin's archiving locks the discussions it had)."""
    if group.id is None:
        return False
    reads = request_memo(_MEMO)
    key = ("archived", group.id)
    if reads is not None and key in reads:
        return reads[key]
    archived = db.session.get(GroupArchive, group.id) is not None
    if reads is not None:
        reads[key] = archived
    return archived


# The group ---------------------------------------------------------------------------------


def can_view_group(user, group: Group) -> bool:
    """Public groups are open to all; a members-only group to its members and site admins."""
    if group.visibility is Visibility.PUBLIC:
        return True
    return is_admin(user) or is_group_member(user, group)


def can_create_group(user) -> bool:
    return is_admin(user)


def require_create_group(user) -> None:
    if not can_create_group(user):
        raise PermissionDenied(_("Only site admins can create groups."))


def can_edit_group(user, group: Group) -> bool:
    return _runs_group(user, group)


def require_edit_group(user, group: Group) -> None:
    if not can_edit_group(user, group):
        raise PermissionDenied(_("Only the group's organisers and site admins can edit the group."))


def can_manage_members(user, group: Group) -> bool:
    return _runs_group(user, group)


def require_manage_members(user, group: Group) -> None:
    if not can_manage_members(user, group):
        raise PermissionDenied(_("Only the group's organisers and site admins can manage members."))


def can_add_members(user, group: Group) -> bool:
    """Invite people and approve requests to join: not in an archived group."""
    return can_manage_members(user, group) and not is_archived(group)


def require_add_members(user, group: Group) -> None:
    require_manage_members(user, group)
    if is_archived(group):
        raise PermissionDenied(_("This group is archived: it takes no new members."))


def _join_refusal(user, group: Group, invited: bool = False) -> str | None:
    if not is_signed_in(user):
        return _("Log in to join the group.")
    if not is_active_member(user):
        return _("Verify your email address before joining a group.")
    if is_archived(group):
        return _("This group is archived: it takes no new members.")
    membership = membership_of(user, group)
    if membership is not None:
        if membership.state is MemberState.BANNED:
            return _("You cannot join this group.")
        if membership.state is MemberState.PENDING:
            return _("Your request to join is waiting for an organiser.")
        return _("You are already a member of this group.")
    if group.join_policy is JoinPolicy.INVITE and not invited:
        return _("This group is open by invitation only: ask an organiser for an invitation.")
    return None


def join_refusal(user, group: Group, invited: bool = False) -> str | None:
    """Why ``user`` may not join, in words for the invitation page (None: they may)."""
    return _join_refusal(user, group, invited)


def can_join_group(user, group: Group) -> bool:
    """May ask to join (open: joins at once; by request: waits for an organiser)."""
    return _join_refusal(user, group) is None


def require_join_group(user, group: Group, invited: bool = False) -> None:
    reason = _join_refusal(user, group, invited)
    if reason:
        raise PermissionDenied(reason)


def can_leave_group(user, group: Group) -> bool:
    membership = membership_of(user, group)
    return membership is not None and membership.state in (
        MemberState.ACTIVE,
        MemberState.PENDING,
    )


def require_leave_group(user, group: Group) -> None:
    if not can_leave_group(user, group):
        raise PermissionDenied(_("You are not a member of this group."))


# Sessions ----------------------------------------------------------------------------------


def can_view_session(user, session: GroupSession) -> bool:
    return can_view_group(user, session.group)


def can_schedule_session(user, group: Group) -> bool:
    return _runs_group(user, group) and not is_archived(group)


def require_schedule_session(user, group: Group) -> None:
    if not _runs_group(user, group):
        raise PermissionDenied(
            _("Only the group's organisers and site admins can schedule sessions.")
        )
    if is_archived(group):
        raise PermissionDenied(_("This group is archived: it holds no new sessions."))


def can_edit_session(user, session: GroupSession) -> bool:
    return _runs_group(user, session.group)


def require_edit_session(user, session: GroupSession) -> None:
    if not can_edit_session(user, session):
        raise PermissionDenied(
            _("Only the group's organisers and site admins can change sessions.")
        )


def _rsvp_refusal(user, session: GroupSession, now: datetime | None = None) -> str | None:
    if not is_signed_in(user):
        return _("Log in to say whether you are coming.")
    if not is_group_member(user, session.group):
        return _("Join the group to say whether you are coming.")
    if is_archived(session.group):
        return _("This group is archived: RSVPs are closed.")
    if session.is_cancelled:
        return _("This session is cancelled.")
    if session.ends_at <= (now or utc_now()):
        return _("This session is over.")
    return None


def can_rsvp(user, session: GroupSession, now: datetime | None = None) -> bool:
    return _rsvp_refusal(user, session, now) is None


def require_rsvp(user, session: GroupSession, now: datetime | None = None) -> None:
    reason = _rsvp_refusal(user, session, now)
    if reason:
        raise PermissionDenied(reason)


def can_see_rsvps(user, session: GroupSession) -> bool:
    return _runs_group(user, session.group)


def can_mark_attendance(user, session: GroupSession) -> bool:
    return _runs_group(user, session.group)


def require_mark_attendance(user, session: GroupSession) -> None:
    if not can_mark_attendance(user, session):
        raise PermissionDenied(
            _("Only the group's organisers and site admins can mark attendance.")
        )


# Group discussions of articles ---------------------------------------------------------------


def can_open_group_discussion(user, group: Group) -> bool:
    """Members start their group's discussion of an article."""
    return (
        is_active_member(user)
        and (is_group_member(user, group) or is_admin(user))
        and not is_archived(group)
    )


def require_open_group_discussion(user, group: Group) -> None:
    if is_archived(group):
        raise PermissionDenied(_("This group is archived: its discussions are closed."))
    if not can_open_group_discussion(user, group):
        raise PermissionDenied(
            _("Only members of the group can open its discussion of an article.")
        )


def can_post_in_group(user, group: Group) -> bool:
    return is_admin(user) or is_group_member(user, group)


# Ballots -------------------------------------------------------------------------------------


def can_manage_ballot(user, session: GroupSession) -> bool:
    """Attach a ballot to the session, write its questions, open and close it."""
    return _runs_group(user, session.group)


def require_manage_ballot(user, session: GroupSession) -> None:
    if not can_manage_ballot(user, session):
        raise PermissionDenied(_("Only the group's organisers and site admins can run ballots."))


def can_start_ballot(user, session: GroupSession) -> bool:
    """Write a ballot or open it for votes: not in an archived group (closing one is fine)."""
    return can_manage_ballot(user, session) and not is_archived(session.group)


def require_start_ballot(user, session: GroupSession) -> None:
    require_manage_ballot(user, session)
    if is_archived(session.group):
        raise PermissionDenied(_("This group is archived: it starts no new ballots."))


def has_voted(user, ballot: Ballot) -> bool:
    if not is_signed_in(user) or ballot.id is None:
        return False
    return (
        db.session.scalar(
            select(BallotVoter.id).where(
                BallotVoter.ballot_id == ballot.id, BallotVoter.user_id == user.id
            )
        )
        is not None
    )


def _was_there(user, session: GroupSession) -> bool:
    """Said they were going, or came (a walk-in counts)."""
    rsvp = db.session.scalar(
        select(Rsvp).where(Rsvp.session_id == session.id, Rsvp.user_id == user.id)
    )
    return rsvp is not None and (rsvp.status is RsvpStatus.GOING or rsvp.attended is True)


def _vote_refusal(user, ballot: Ballot, now: datetime | None = None) -> str | None:
    now = now or utc_now()
    if not is_signed_in(user):
        return _("Log in to vote.")
    if ballot.status is BallotStatus.DRAFT:
        return _("This ballot is not open yet.")
    if not ballot.is_open_at(now) or is_archived(ballot.session.group):
        return _("This ballot is closed.")
    if not is_group_member(user, ballot.session.group):
        return _("Only members of the group vote in its ballots.")
    if not _was_there(user, ballot.session):
        return _("Only members who said they were going to the session, or came, can vote.")
    if has_voted(user, ballot):
        return _("You have already voted in this ballot.")
    return None


def can_vote_in_ballot(user, ballot: Ballot, now: datetime | None = None) -> bool:
    return _vote_refusal(user, ballot, now) is None


def require_ballot_vote(user, ballot: Ballot, now: datetime | None = None) -> None:
    reason = _vote_refusal(user, ballot, now)
    if reason:
        raise PermissionDenied(reason)


def vote_refusal(user, ballot: Ballot, now: datetime | None = None) -> str | None:
    """Why ``user`` may not vote, in words for the ballot page (None: they may)."""
    return _vote_refusal(user, ballot, now)


def can_see_ballot_results(user, ballot: Ballot, now: datetime | None = None) -> bool:
    """A voter sees the results once they have voted; the group's members (and site admins)
    once the ballot is closed. How anyone voted is never shown: there is no record of it."""
    now = now or utc_now()
    if ballot.status is BallotStatus.DRAFT:
        return False
    if ballot.is_closed_at(now) and (is_admin(user) or is_group_member(user, ballot.session.group)):
        return True
    return has_voted(user, ballot)


# The personal calendar feed ------------------------------------------------------------------


def can_manage_calendar_feed(user) -> bool:
    """Anyone signed in keeps a secret address for the sessions they are going to."""
    return is_signed_in(user)


def require_manage_calendar_feed(user) -> None:
    if not can_manage_calendar_feed(user):
        raise PermissionDenied(_("Log in to manage your calendar address."))
