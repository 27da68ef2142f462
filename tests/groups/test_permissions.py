"""The permission matrix over HTTP: persona × group visibility × action -> status.

302 is the login page for anonymous visitors; 404 means the thing does not exist for that
persona (a members-only group and everything in it, for non-members).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from forum.core.db import utc_now
from forum.extensions import db
from forum.groups import services
from forum.groups.models import MemberRole, MemberState, Rsvp, RsvpStatus, Visibility
from tests import factories
from tests.conftest import login, post_form
from tests.groups.conftest import make_membership, make_session

PERSONAS = ("anonymous", "non_member", "pending", "member", "group_moderator", "organiser", "admin")

# action: (method, path template, {visibility: expected statuses in PERSONAS order})
MATRIX = {
    "view group": (
        "GET",
        "/groups/{slug}",
        {
            "public": (200, 200, 200, 200, 200, 200, 200),
            "members": (404, 404, 404, 200, 200, 200, 200),
        },
    ),
    "view session": (
        "GET",
        "/groups/{slug}/sessions/{session}",
        {
            "public": (200, 200, 200, 200, 200, 200, 200),
            "members": (404, 404, 404, 200, 200, 200, 200),
        },
    ),
    "calendar feed": (
        "GET",
        "/groups/{slug}/calendar.ics",
        {
            "public": (200, 200, 200, 200, 200, 200, 200),
            "members": (404, 404, 404, 200, 200, 200, 200),
        },
    ),
    "edit group": (
        "GET",
        "/groups/{slug}/edit",
        {
            "public": (302, 403, 403, 403, 403, 200, 200),
            "members": (302, 404, 404, 403, 403, 200, 200),
        },
    ),
    "schedule session": (
        "GET",
        "/groups/{slug}/sessions/new",
        {
            "public": (302, 403, 403, 403, 403, 200, 200),
            "members": (302, 404, 404, 403, 403, 200, 200),
        },
    ),
    "schedule season": (
        "GET",
        "/groups/{slug}/seasons/new",
        {
            "public": (302, 403, 403, 403, 403, 200, 200),
            "members": (302, 404, 404, 403, 403, 200, 200),
        },
    ),
    "edit session": (
        "GET",
        "/groups/{slug}/sessions/{session}/edit",
        {
            "public": (302, 403, 403, 403, 403, 200, 200),
            "members": (302, 404, 404, 403, 403, 200, 200),
        },
    ),
    "cancel session": (
        "GET",
        "/groups/{slug}/sessions/{session}/cancel",
        {
            "public": (302, 403, 403, 403, 403, 200, 200),
            "members": (302, 404, 404, 403, 403, 200, 200),
        },
    ),
    "mark attendance": (
        "GET",
        "/groups/{slug}/sessions/{session}/attendance",
        {
            "public": (302, 403, 403, 403, 403, 200, 200),
            "members": (302, 404, 404, 403, 403, 200, 200),
        },
    ),
    "rsvp": (
        "POST",
        "/groups/{slug}/sessions/{session}/rsvp",
        {
            "public": (302, 403, 403, 302, 302, 302, 403),
            "members": (302, 404, 404, 302, 302, 302, 403),
        },
    ),
    "view ballot": (
        "GET",
        "/groups/{slug}/sessions/{session}/ballot",
        {
            "public": (200, 200, 200, 200, 200, 200, 200),
            "members": (404, 404, 404, 200, 200, 200, 200),
        },
    ),
    "write ballot": (
        "GET",
        "/groups/{slug}/sessions/{session}/ballot/edit",
        {
            "public": (302, 403, 403, 403, 403, 200, 200),
            "members": (302, 404, 404, 403, 403, 200, 200),
        },
    ),
    "close ballot": (
        "POST",
        "/groups/{slug}/sessions/{session}/ballot/close",
        {
            "public": (302, 403, 403, 403, 403, 302, 302),
            "members": (302, 404, 404, 403, 403, 302, 302),
        },
    ),
    # Everyone but the anonymous visitor said they were going; only members may vote.
    "vote": (
        "POST",
        "/groups/{slug}/sessions/{session}/ballot/vote",
        {
            "public": (302, 403, 403, 302, 302, 302, 403),
            "members": (302, 404, 404, 302, 302, 302, 403),
        },
    ),
    "ballot results by topic": (
        "GET",
        "/ballots/",
        {
            "public": (200, 200, 200, 200, 200, 200, 200),
            "members": (200, 200, 200, 200, 200, 200, 200),
        },
    ),
    "my calendar settings": (
        "GET",
        "/groups/my/calendar",
        {
            "public": (302, 200, 200, 200, 200, 200, 200),
            "members": (302, 200, 200, 200, 200, 200, 200),
        },
    ),
    "join": (
        "POST",
        "/groups/{slug}/join",
        {
            "public": (302, 302, 403, 403, 403, 403, 302),
            "members": (302, 404, 404, 403, 403, 403, 302),
        },
    ),
    "leave": (
        "POST",
        "/groups/{slug}/leave",
        {
            "public": (302, 403, 302, 302, 302, 302, 403),
            "members": (302, 404, 404, 302, 302, 302, 403),
        },
    ),
}

CASES = [
    (action, visibility, persona, statuses[index])
    for action, (_, _, by_visibility) in MATRIX.items()
    for visibility, statuses in by_visibility.items()
    for index, persona in enumerate(PERSONAS)
]


def _persona(name, group):
    if name == "anonymous":
        return None
    if name == "admin":
        return factories.make_user("admin@example.org", "Ada Admin", role="admin")
    user = factories.make_user(f"{name}@example.org", name.replace("_", " ").title())
    if name == "pending":
        make_membership(group, user, state=MemberState.PENDING)
    elif name == "member":
        make_membership(group, user)
    elif name == "group_moderator":
        make_membership(group, user, MemberRole.MODERATOR)
    elif name == "organiser":
        make_membership(group, user, MemberRole.ORGANISER)
    return user


@pytest.mark.parametrize(("action", "visibility", "persona", "expected"), CASES)
def test_permission_matrix(client, group, action, visibility, persona, expected):
    # Someone else organises, so leaving as the organiser is not refused as "the last one".
    make_membership(
        group, factories.make_user("lead@example.org", "Lee Lead"), MemberRole.ORGANISER
    )
    group.visibility = Visibility(visibility)
    session = make_session(group, starts_on=(utc_now() + timedelta(days=5)).date())
    ballot = services.create_ballot(
        None,
        session,
        services.BallotInput("Climate", services.parse_ballot_questions("Agree?\n- Yes\n- No")),
    )
    services.open_ballot(None, ballot)
    db.session.commit()
    user = _persona(persona, group)
    if user is not None:
        db.session.add(Rsvp(session_id=session.id, user_id=user.id, status=RsvpStatus.GOING))
        db.session.commit()
        login(client, user)
    method, template, _ = MATRIX[action]
    path = template.format(slug=group.slug, session=session.id)
    if method == "GET":
        response = client.get(path)
    else:
        question = ballot.questions[0]
        answers = {f"q{question.id}": question.choices[0].id}
        response = post_form(client, path, {"status": "going", **answers})
    assert response.status_code == expected, response.get_data(as_text=True)[:500]
    if expected == 302 and persona == "anonymous":
        assert "/auth/login" in response.headers["Location"]
