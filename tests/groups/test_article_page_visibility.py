"""A members-only group's discussion of an article, on the article page: for its members,
the group's moderators and admins, and nobody else."""

from __future__ import annotations

import pytest

from forum.extensions import db
from forum.groups.services import open_group_discussion
from tests import factories
from tests.conftest import login
from tests.groups.conftest import make_membership

PAGE = "/articles/melting-sea-lanes"
NOT_SEEN = "This group has no discussion of this article that you can see."


@pytest.fixture
def discussed(group, private_group):
    article = factories.make_article("Melting Sea Lanes")
    open_group_discussion(None, group, article)
    open_group_discussion(None, private_group, article)
    db.session.commit()
    return article


@pytest.fixture
def private_member(private_group):
    user = factories.make_user("circle@example.org", "Cora Circle")
    make_membership(private_group, user)
    return user


@pytest.mark.parametrize("persona", ["private_member", "admin"])
def test_members_and_admins_see_the_members_only_discussion(request, client, discussed, persona):
    login(client, request.getfixturevalue(persona))
    html = client.get(PAGE).get_data(as_text=True)
    assert "Discussed by 2 groups" in html
    assert "Policy Staff Circle" in html and "members only" in html
    response = client.get(f"{PAGE}?group=policy-staff-circle")
    assert response.status_code == 200
    assert "<strong>Policy Staff Circle</strong> (shown below)" in response.get_data(as_text=True)


@pytest.mark.parametrize("persona", [None, "reader", "member", "moderator", "group_moderator"])
def test_others_do_not_see_it(request, client, discussed, persona):
    # "member" and "group_moderator" are of the other, public group.
    if persona:
        login(client, request.getfixturevalue(persona))
    html = client.get(PAGE).get_data(as_text=True)
    assert "Policy Staff Circle" not in html
    assert "Great Decisions Discussion group" in html
    response = client.get(f"{PAGE}?group=policy-staff-circle")
    assert response.status_code == 404
    assert NOT_SEEN in response.get_data(as_text=True)


def test_a_group_without_a_discussion_of_the_article_is_a_clear_404(client, discussed, reader):
    login(client, reader)
    response = client.get(f"{PAGE}?group=no-such-group")
    assert response.status_code == 404
    assert NOT_SEEN in response.get_data(as_text=True)


@pytest.fixture
def linked(group, private_group):
    """An article whose editor named both groups as discussing it."""
    article = factories.make_article("Melting Sea Lanes")
    article.groups = [group, private_group]
    open_group_discussion(None, group, article)
    open_group_discussion(None, private_group, article)
    db.session.commit()
    return article


@pytest.mark.parametrize("persona", [None, "reader", "member"])
def test_discussed_by_names_no_members_only_group_to_others(request, client, linked, persona):
    if persona:
        login(client, request.getfixturevalue(persona))
    html = client.get(PAGE).get_data(as_text=True)
    assert "Policy Staff Circle" not in html
    assert "Discussed by the" in html and "Great Decisions Discussion group" in html


@pytest.mark.parametrize("persona", ["private_member", "admin"])
def test_discussed_by_names_the_members_only_group_to_who_may_see_it(
    request, client, linked, persona
):
    login(client, request.getfixturevalue(persona))
    html = client.get(PAGE).get_data(as_text=True)
    discussed_by = html[html.index('class="discussed-by"') :]
    assert "Policy Staff Circle" in discussed_by[: discussed_by.index("</p>")]


def test_a_member_sees_their_members_only_group_named_without_its_own_discussion(
    client, group, private_group, private_member
):
    article = factories.make_article("Melting Sea Lanes")
    article.groups = [group, private_group]
    db.session.commit()
    assert "Policy Staff Circle" not in client.get(PAGE).get_data(as_text=True)
    login(client, private_member)
    html = client.get(PAGE).get_data(as_text=True)
    discussed_by = html[html.index('class="discussed-by"') :]
    assert "Policy Staff Circle" in discussed_by[: discussed_by.index("</p>")]
