"""Groups discussing an article: opened by a member from the article page, listed there with
counts for those who may see them."""

from __future__ import annotations

import pytest

from forum.discussions.services import post_reply
from forum.extensions import db
from forum.groups import services
from forum.groups.models import Visibility
from forum.moderation.models import Mode, Policy
from tests import factories
from tests.conftest import login, post_form
from tests.groups.conftest import make_membership


@pytest.fixture(autouse=True)
def _publish_at_once():
    """About who sees which discussion, not review: the site publishes posts at once."""
    db.session.add(Policy(mode=Mode.NONE, hold_links=False))
    db.session.commit()


def test_a_member_opens_the_groups_discussion_from_the_article_page(client, group, member):
    article = factories.make_article("Melting Sea Lanes")
    login(client, member)
    page = "/articles/melting-sea-lanes"
    html = client.get(page).get_data(as_text=True)
    choose = "/groups/discussions/new?article=melting-sea-lanes"
    assert f'href="{choose}"' in html
    html = client.get(choose).get_data(as_text=True)
    assert "Open a discussion in Great Decisions Discussion group" in html
    response = post_form(
        client, f"/groups/{group.slug}/discussions", {"article": article.slug}, page=choose
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{page}?group={group.slug}#discussion")
    html = client.get(f"{page}?group={group.slug}").get_data(as_text=True)
    assert "Discussed by 1 group" in html
    html = client.get(choose).get_data(as_text=True)
    assert "Open a discussion in" not in html
    assert "Go to Great Decisions Discussion group's discussion" in html


def test_the_article_page_lists_the_discussions_the_viewer_may_see(client, group, member, reader):
    article = factories.make_article("Melting Sea Lanes")
    closed = services.ensure_group("Policy Staff Circle")
    closed.visibility = Visibility.MEMBERS
    third = services.ensure_group("Shelbyville Readers")
    for each in (group, closed, third):
        discussion = services.open_group_discussion(None, each, article)
    make_membership(closed, member)
    make_membership(third, member)
    post_reply(member, discussion, None, "Shelbyville thinks so too")
    db.session.commit()

    login(client, reader)
    html = client.get("/articles/melting-sea-lanes").get_data(as_text=True)
    assert "Discussed by 2 groups" in html
    assert "Policy Staff Circle" not in html
    assert "1 comment" in html
    assert client.get("/articles/melting-sea-lanes?group=policy-staff-circle").status_code == 404

    client.get("/auth/logout")
    login(client, member)
    html = client.get("/articles/melting-sea-lanes").get_data(as_text=True)
    assert "Discussed by 3 groups" in html and "Policy Staff Circle" in html


def test_non_members_cannot_open_a_groups_discussion(client, group, reader):
    article = factories.make_article("Melting Sea Lanes")
    login(client, reader)
    response = post_form(client, f"/groups/{group.slug}/discussions", {"article": article.slug})
    assert response.status_code == 403


def test_a_post_in_a_groups_discussion_links_back_to_it(client, group, member):
    article = factories.make_article("Melting Sea Lanes")
    discussion = services.open_group_discussion(None, group, article)
    post = post_reply(member, discussion, None, "Our group's view")
    db.session.commit()
    response = client.get(f"/posts/{post.id}")
    assert response.status_code == 302
    assert f"group={group.slug}" in response.headers["Location"]
    assert "Our group's view" in client.get(response.headers["Location"]).get_data(as_text=True)
