"""An archived group (forum.admin archives it) says so on its own pages, and the server refuses
what archiving forbids: new members, new sessions, RSVPs, new discussions, ballots and votes.
What was said stays readable, and winding down (leaving, cancelling, closing) still works."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from forum.admin.services import archive_group
from forum.core.db import utc_now
from forum.core.errors import PermissionDenied
from forum.discussions.models import Discussion
from forum.extensions import db
from forum.groups import permissions, services
from forum.groups.models import (
    BallotStatus,
    MemberState,
    Rsvp,
    RsvpStatus,
    SessionStatus,
)
from tests import factories
from tests.conftest import login, post_form
from tests.groups.conftest import make_membership, make_session

SLUG = "great-decisions-discussion-group"
QUESTIONS = "Should the country take in more climate migrants?\n- Yes\n- No\n"


def _soon():
    return (utc_now() + timedelta(days=5)).date()


@pytest.fixture
def session(group):
    return make_session(group, starts_on=_soon())


@pytest.fixture
def archived(group, admin, session):
    archive_group(admin, group)
    db.session.commit()
    return group


def _open_ballot(session):
    ballot = services.create_ballot(
        None,
        session,
        services.BallotInput(
            topic="Climate migration", questions=services.parse_ballot_questions(QUESTIONS)
        ),
    )
    services.open_ballot(None, ballot)
    db.session.commit()
    return ballot


def test_the_group_page_shows_that_the_group_is_archived_and_what_it_means(
    client, group, organiser, session
):
    page = f"/groups/{SLUG}"
    login(client, organiser)
    before = client.get(page).get_data(as_text=True)
    assert "archived" not in before
    assert "Schedule a session" in before

    archive_group(factories.make_user("root@example.org", "Root", role="admin"), group)
    db.session.commit()

    html = client.get(page).get_data(as_text=True)
    assert '<span class="badge">archived</span>' in html
    assert "This group is archived: it takes no new members and holds no new sessions" in html
    assert "Schedule a session" not in html and "Schedule a season" not in html
    # Its sessions stay listed, and its report can still be downloaded.
    assert session.title in html and "Download the season report (CSV)" in html


def test_a_visitor_is_not_offered_to_join_an_archived_group(client, archived, reader):
    html = client.get(f"/groups/{SLUG}").get_data(as_text=True)
    assert "Log in to join the group" not in html and "open by invitation" not in html
    login(client, reader)
    html = client.get(f"/groups/{SLUG}").get_data(as_text=True)
    assert "Join the group" not in html and "Ask to join" not in html


def test_a_session_page_shows_the_archive_and_offers_no_rsvp(client, archived, member, session):
    login(client, member)
    html = client.get(f"/groups/{SLUG}/sessions/{session.id}").get_data(as_text=True)

    assert '<span class="badge">archived</span>' in html
    assert "RSVPs, ballots and the discussion are closed" in html
    assert "Save my answer" not in html
    assert "RSVPs are closed: the group is archived." in html


def test_the_server_refuses_to_join_an_archived_group_even_by_invitation(
    client, group, organiser, reader, admin, session
):
    token = services.invite(organiser, group, reader.email)
    db.session.commit()
    archive_group(admin, group)
    db.session.commit()
    login(client, reader)
    page = f"/groups/{SLUG}"

    response = post_form(client, f"{page}/join", {}, page=page)
    assert response.status_code == 403
    assert "This group is archived: it takes no new members." in response.get_data(as_text=True)

    url = f"/groups/invitations/{token}"
    response = client.get(url)
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "This group is archived: it takes no new members." in html
    assert "Accept and join" not in html
    assert post_form(client, url, {}, page=page).status_code == 403
    assert permissions.membership_of(reader, group) is None


def test_organisers_cannot_invite_or_approve_in_an_archived_group(
    client, group, organiser, reader, admin
):
    request = make_membership(group, reader, state=MemberState.PENDING)
    archive_group(admin, group)
    db.session.commit()
    login(client, organiser)
    page = f"/groups/{SLUG}/members"

    html = client.get(page).get_data(as_text=True)
    assert "Send the invitation" not in html and f"Approve {reader.display_name}" not in html

    response = post_form(client, f"/groups/{SLUG}/invitations", {"email": "new@example.org"})
    assert response.status_code == 403
    response = post_form(client, f"/groups/{SLUG}/members/{request.id}/approve", {}, page=page)
    assert response.status_code == 403
    assert permissions.membership_of(reader, group).state is MemberState.PENDING
    # Declining an old request still works: it adds no one.
    response = post_form(client, f"/groups/{SLUG}/members/{request.id}/decline", {}, page=page)
    assert response.status_code == 302
    assert permissions.membership_of(reader, group) is None


def test_the_server_refuses_new_sessions_and_seasons(client, archived, organiser):
    login(client, organiser)
    for path in ("sessions/new", "seasons/new"):
        url = f"/groups/{SLUG}/{path}"
        assert client.get(url).status_code == 403
        response = post_form(client, url, {"title": "One more", "starts_on": "2030-03-07"})
        assert response.status_code == 403
        assert "it holds no new sessions" in response.get_data(as_text=True)
    with pytest.raises(PermissionDenied):
        services.schedule_season(organiser, archived, None, [("Trade", [])])


def test_the_server_refuses_rsvps(client, archived, member, session):
    login(client, member)
    page = f"/groups/{SLUG}/sessions/{session.id}"

    response = post_form(client, f"{page}/rsvp", {"status": "going"}, page=page)

    assert response.status_code == 403
    assert "This group is archived: RSVPs are closed." in response.get_data(as_text=True)
    assert db.session.query(Rsvp).count() == 0


def test_the_server_refuses_a_new_group_discussion_of_an_article(client, archived, member):
    article = factories.make_article("Melting Sea Lanes")
    login(client, member)

    response = post_form(
        client, f"/groups/{SLUG}/discussions", {"article": article.slug}, page="/groups/"
    )

    assert response.status_code == 403
    assert "its discussions are closed" in response.get_data(as_text=True)
    opened = select(Discussion).where(
        Discussion.group_id == archived.id, Discussion.article_id == article.id
    )
    assert db.session.scalars(opened).all() == []


def test_ballots_take_no_votes_and_no_new_ballot_starts(client, group, organiser, member, admin):
    voting = make_session(group, starts_on=_soon())
    ballot = _open_ballot(voting)
    db.session.add(Rsvp(session_id=voting.id, user_id=member.id, status=RsvpStatus.GOING))
    quiet = make_session(group, starts_on=_soon() + timedelta(days=7), title="Trade")
    archive_group(admin, group)
    db.session.commit()

    login(client, member)
    page = f"/groups/{SLUG}/sessions/{voting.id}/ballot"
    html = client.get(page).get_data(as_text=True)
    assert "Closed: the group is archived." in html and "Cast my vote" not in html
    answer = {f"q{ballot.questions[0].id}": str(ballot.questions[0].choices[0].id)}
    assert post_form(client, f"{page}/vote", answer, page=page).status_code == 403
    assert ballot.voter_count == 0

    client.get("/auth/logout")
    login(client, organiser)
    url = f"/groups/{SLUG}/sessions/{quiet.id}/ballot/edit"
    assert client.get(url).status_code == 200  # the form shows; saving is refused
    response = post_form(client, url, {"topic": "Trade", "questions": QUESTIONS}, page=url)
    assert response.status_code == 403
    assert "it starts no new ballots" in response.get_data(as_text=True)
    # Closing the open ballot is winding down, and still works.
    response = post_form(client, f"{page}/close", {}, page=page)
    assert response.status_code == 302
    db.session.refresh(ballot)
    assert ballot.status is BallotStatus.CLOSED


def test_winding_down_still_works(client, archived, organiser, member, session):
    login(client, organiser)
    page = f"/groups/{SLUG}/sessions/{session.id}"
    response = post_form(client, f"{page}/cancel", {"reason": "The group has stopped."}, page=page)
    assert response.status_code == 302
    db.session.refresh(session)
    assert session.status is SessionStatus.CANCELLED
    client.get("/auth/logout")

    login(client, member)
    response = post_form(client, f"/groups/{SLUG}/leave", {}, page=f"/groups/{SLUG}")
    assert response.status_code == 302
    assert permissions.membership_of(member, archived) is None


def test_the_archive_is_told_in_french(client, archived, session):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    html = client.get(f"/groups/{SLUG}").get_data(as_text=True)
    assert '<span class="badge">archivé</span>' in html
    assert "Ce groupe est archivé : il n’accepte plus de nouveaux membres" in html
