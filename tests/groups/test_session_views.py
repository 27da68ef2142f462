"""Groups and sessions over HTTP, as people use them."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from forum.core.db import utc_now
from forum.discussions.models import Discussion
from forum.discussions.services import post_reply
from forum.extensions import db
from forum.groups import services
from forum.groups.models import GroupSession, JoinPolicy, MemberState, RsvpStatus, Visibility
from forum.groups.permissions import membership_of
from tests import factories
from tests.conftest import login, post_form
from tests.groups.conftest import emails_to, make_session

SLUG = "great-decisions-discussion-group"


def _soon(days: int = 5) -> date:
    return (utc_now() + timedelta(days=days)).date()


def test_directory_search_by_name_and_place(client, admin):
    for name, place in [("Springfield Readers", "Springfield"), ("Shelby Circle", "Shelbyville")]:
        services.create_group(admin, services.GroupInput(name=name, place=place))
    db.session.commit()
    html = client.get("/groups/?place=shelby").get_data(as_text=True)
    assert "Shelby Circle" in html and "Springfield Readers" not in html
    html = client.get("/groups/?name=spring").get_data(as_text=True)
    assert "Springfield Readers" in html and "Shelby Circle" not in html
    html = client.get("/groups/?name=%25").get_data(as_text=True)
    assert "No group matches your search." in html


def test_an_admin_creates_a_group_through_the_form_and_errors_keep_the_text(client, admin):
    login(client, admin)
    response = post_form(
        client,
        "/groups/new",
        {
            "name": "Springfield Great Decisions",
            "description": "We meet at the library.",
            "place": "Springfield",
            "venue_type": "library",
            "meeting_pattern": "Thursdays 7pm",
            "visibility": "public",
            "join_policy": "open",
            "timezone": "Mars/Olympus",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Choose a time zone from the list." in html
    assert "We meet at the library." in html
    data = {
        "name": "Springfield Great Decisions",
        "place": "Springfield",
        "venue_type": "library",
        "visibility": "public",
        "join_policy": "open",
        "timezone": "America/Chicago",
    }
    response = post_form(client, "/groups/new", data)
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Springfield" in html and "Library" in html


def test_a_request_to_join_is_approved_on_the_members_page(client, group, organiser, reader):
    group.join_policy = JoinPolicy.REQUEST
    db.session.commit()
    login(client, reader)
    assert post_form(client, f"/groups/{SLUG}/join", {}).status_code == 302
    assert "waiting for an organiser" in client.get(f"/groups/{SLUG}").get_data(as_text=True)
    client.get("/auth/logout")
    login(client, organiser)
    html = client.get(f"/groups/{SLUG}/members").get_data(as_text=True)
    assert "Approve Rita Reader" in html
    membership = membership_of(reader, group)
    response = post_form(client, f"/groups/{SLUG}/members/{membership.id}/approve", {})
    assert response.status_code == 302
    db.session.expire_all()
    assert membership_of(reader, group).state is MemberState.ACTIVE
    assert "now a member" in emails_to(reader.email)[-1].subject


def test_an_invitation_link_joins_the_group(client, group, organiser, reader):
    group.join_policy = JoinPolicy.INVITE
    db.session.commit()
    login(client, organiser)
    response = post_form(client, f"/groups/{SLUG}/invitations", {"email": reader.email})
    assert response.status_code == 302
    path = emails_to(reader.email)[-1].text_body.split("http://forum.test", 1)[1].split()[0]
    client.get("/auth/logout")
    login(client, reader)
    assert "Accept and join" in client.get(path).get_data(as_text=True)
    assert post_form(client, path, {}).status_code == 302
    assert membership_of(reader, group).state is MemberState.ACTIVE
    assert client.get("/groups/invitations/forged-token").status_code == 400


def test_an_organiser_schedules_a_session_through_the_form(client, group, organiser, member):
    factories.make_article("Melting Sea Lanes")
    login(client, organiser)
    form = {
        "title": "Climate migration",
        "topic": "Climate",
        "starts_on": _soon().isoformat(),
        "starts_at": "19:00",
        "ends_at": "18:00",
        "timezone": "Europe/London",
        "place": "Library",
        "capacity": "12",
        "facilitator_id": str(member.id),
        "readings": "/articles/melting-sea-lanes",
        "agenda_md": "**Welcome**",
        "questions_md": "",
        "online_url": "",
    }
    response = post_form(client, f"/groups/{SLUG}/sessions/new", form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The session must end after it starts." in html and "**Welcome**" in html
    response = post_form(client, f"/groups/{SLUG}/sessions/new", {**form, "ends_at": "21:00"})
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<strong>Welcome</strong>" in html
    assert "Melting Sea Lanes" in html and "Mia Member" in html
    assert "0 of 12 seats" in html


def test_a_season_through_the_form(client, group, organiser):
    login(client, organiser)
    form = {
        "title": "Great Decisions",
        "plan": "\n".join(f"Topic {n}" for n in range(1, 9)),
        "interval": "14",
        "starts_on": _soon().isoformat(),
        "starts_at": "19:00",
        "ends_at": "21:00",
        "timezone": "Europe/London",
        "facilitator_id": "",
    }
    response = post_form(client, f"/groups/{SLUG}/seasons/new", form)
    assert response.status_code == 302
    assert db.session.scalar(select(db.func.count(GroupSession.id))) == 8
    html = client.get(f"/groups/{SLUG}").get_data(as_text=True)
    assert "Great Decisions 1: Topic 1" in html


def test_times_show_in_the_viewers_zone_with_the_groups_beside(client, group):
    # New York's clocks change on 10 March 2030; Seoul's never do.
    viewer = factories.make_user("seoul@example.org", "Seo Viewer", timezone="Asia/Seoul")
    before = make_session(group, starts_on=date(2030, 3, 7), timezone="America/New_York")
    after = make_session(group, starts_on=date(2030, 3, 14), timezone="America/New_York")
    login(client, viewer)
    html = client.get(f"/groups/{SLUG}/sessions/{before.id}").get_data(as_text=True)
    assert "8 Mar 2030, 09:00 KST" in html and "7 Mar 2030, 19:00 EST" in html
    html = client.get(f"/groups/{SLUG}/sessions/{after.id}").get_data(as_text=True)
    assert "15 Mar 2030, 08:00 KST" in html and "14 Mar 2030, 19:00 EDT" in html


def test_a_member_rsvps_and_the_organiser_sees_the_list(client, group, organiser, member):
    session = make_session(group, starts_on=_soon(), capacity=1)
    login(client, member)
    page = f"/groups/{SLUG}/sessions/{session.id}"
    response = post_form(client, f"{page}/rsvp", {"status": "going"}, page=page)
    assert response.status_code == 302
    assert "You are going." in client.get(page).get_data(as_text=True)
    client.get("/auth/logout")
    login(client, organiser)
    html = client.get(page).get_data(as_text=True)
    assert "Who is coming" in html and "Mia Member" in html
    response = post_form(client, f"{page}/rsvp", {"status": "going"}, page=page)
    assert "waitlist" in client.get(page).get_data(as_text=True)
    response = post_form(client, f"{page}/attendance", {"attended": str(member.id)}, page=page)
    assert response.status_code == 302


def test_a_sessions_discussion_lives_on_its_page(client, group, member):
    session = make_session(group, starts_on=_soon())
    discussion = db.session.scalar(select(Discussion).where(Discussion.session_id == session.id))
    login(client, member)
    page = f"/groups/{SLUG}/sessions/{session.id}"
    response = post_form(
        client, f"/discussions/{discussion.id}/posts", {"body": "See you Thursday"}, page=page
    )
    assert response.status_code == 302
    follow = client.get(response.headers["Location"])
    assert follow.status_code == 302 and follow.headers["Location"].startswith(page)
    assert "See you Thursday" in client.get(page).get_data(as_text=True)


def test_non_members_may_read_but_not_post_in_a_public_groups_session(client, group, reader):
    session = make_session(group, starts_on=_soon())
    discussion = db.session.scalar(select(Discussion).where(Discussion.session_id == session.id))
    login(client, reader)
    page = f"/groups/{SLUG}/sessions/{session.id}"
    response = post_form(client, f"/discussions/{discussion.id}/posts", {"body": "Hi"}, page=page)
    assert response.status_code == 403


def test_a_members_only_groups_session_posts_are_not_found_for_others(
    client, group, member, reader
):
    session = make_session(group, starts_on=_soon())
    discussion = db.session.scalar(select(Discussion).where(Discussion.session_id == session.id))
    post = post_reply(member, discussion, None, "Members only talk")
    group.visibility = Visibility.MEMBERS
    db.session.commit()
    login(client, reader)
    assert client.get(f"/posts/{post.id}").status_code == 404
    assert client.get(f"/groups/{SLUG}/sessions/{session.id}").status_code == 404


def test_cancelling_through_the_form(client, group, organiser, member):
    session = make_session(group, starts_on=_soon())
    services.respond(member, session, RsvpStatus.GOING)
    db.session.commit()
    login(client, organiser)
    page = f"/groups/{SLUG}/sessions/{session.id}"
    response = post_form(client, f"{page}/cancel", {"reason": "Snow"}, page=f"{page}/cancel")
    assert response.status_code == 302
    assert "This session is cancelled." in client.get(page).get_data(as_text=True)
    assert emails_to(member.email)[-1].subject.startswith("Cancelled:")


def test_the_groups_zone_is_left_out_when_the_viewer_shares_it(client, group):
    session = make_session(group, starts_on=_soon(), timezone="UTC")
    html = client.get(f"/groups/{SLUG}/sessions/{session.id}").get_data(as_text=True)
    assert "where the group meets" not in html
