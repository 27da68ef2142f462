from __future__ import annotations

import pytest

from forum.extensions import db
from forum.groups.models import MemberRole, MemberState
from forum.groups.services import ensure_group
from tests import factories
from tests.conftest import count_queries, login
from tests.groups.conftest import make_membership


def test_directory_lists_groups_with_description_and_member_count(client, group, reader, organiser):
    make_membership(group, reader)
    response = client.get("/groups/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Great Decisions Discussion group" in html
    assert 'href="/groups/great-decisions-discussion-group"' in html
    assert "We meet on Thursdays." in html
    assert "2 members" in html


def test_directory_paginates(client):
    for number in range(23):
        ensure_group(f"Reading circle {number:02d}")
    db.session.commit()
    first = client.get("/groups/").get_data(as_text=True)
    second = client.get("/groups/?page=2").get_data(as_text=True)
    assert "Reading circle 00" in first and "Reading circle 19" in first
    assert "Reading circle 20" not in first
    assert "Reading circle 22" in second and "Reading circle 00" not in second
    assert 'href="/groups/?page=2"' in first


def test_group_page_shows_description_people_and_articles(client, group, organiser, reader):
    make_membership(group, reader)
    article = factories.make_article("Melting Sea Lanes")
    article.groups.append(group)
    hidden = factories.make_article("A Withdrawn Piece", is_hidden=True)
    hidden.groups.append(group)
    factories.make_article("Unrelated Article")
    db.session.commit()

    response = client.get("/groups/great-decisions-discussion-group")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<p>We meet on Thursdays.</p>" in html and "<p>Everyone is welcome.</p>" in html
    assert "Olga Organiser" in html and "organiser" in html
    assert "Rita Reader" in html
    assert 'href="/articles/melting-sea-lanes"' in html
    assert "A Withdrawn Piece" not in html
    assert "Unrelated Article" not in html


def test_group_page_escapes_the_description(client, group):
    group.description = "<script>alert(1)</script>"
    db.session.commit()
    html = client.get("/groups/great-decisions-discussion-group").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_long_member_lists_continue_on_the_members_page(client, group):
    for number in range(30):
        user = factories.make_user(f"m{number}@example.org", f"Member {number:02d}")
        make_membership(group, user)
    html = client.get("/groups/great-decisions-discussion-group").get_data(as_text=True)
    assert "Member 23" in html and "Member 24" not in html
    assert "All 30 members" in html
    members = client.get("/groups/great-decisions-discussion-group/members").get_data(as_text=True)
    assert "Member 00" in members and "Member 29" in members


def test_unknown_group_is_a_404(client):
    response = client.get("/groups/no-such-group")
    assert response.status_code == 404
    assert "There is no such group." in response.get_data(as_text=True)


# Members-only group: persona -> status of its page, and whether the directory lists it.
@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("anonymous", 404),
        ("reader", 404),
        ("pending_member", 404),
        ("member", 200),
        ("admin", 200),
    ],
)
def test_members_only_group_is_shown_only_to_members(
    request, client, private_group, persona, status
):
    if persona != "anonymous":
        user = request.getfixturevalue("admin" if persona == "admin" else "reader")
        if persona == "member":
            make_membership(private_group, user)
        elif persona == "pending_member":
            make_membership(private_group, user, MemberRole.MEMBER, MemberState.PENDING)
        login(client, user)
    for url in ("/groups/policy-staff-circle", "/groups/policy-staff-circle/members"):
        assert client.get(url).status_code == status
    directory = client.get("/groups/").get_data(as_text=True)
    assert ("Policy Staff Circle" in directory) == (status == 200)


def test_group_page_queries_do_not_grow_with_members_or_articles(client, group, organiser):
    def queries_for_page() -> int:
        with count_queries() as statements:
            assert client.get("/groups/great-decisions-discussion-group").status_code == 200
        return len(statements)

    few = queries_for_page()
    for number in range(15):
        make_membership(group, factories.make_user(f"q{number}@example.org", f"Quinn {number}"))
        article = factories.make_article(f"Reading number {number}")
        article.groups.append(group)
        db.session.commit()
    assert queries_for_page() == few
