"""The article around its discussion: what it shows, to whom, and what it costs."""

from __future__ import annotations

import pytest

from forum.articles.models import Figure, Reading
from forum.extensions import db
from forum.groups.models import MemberRole, Membership, Visibility
from forum.groups.services import ensure_group, open_group_discussion
from tests import factories
from tests.conftest import count_queries, login


def text_of(response) -> str:
    return response.get_data(as_text=True)


def article_with_everything(title: str, viewer=None):
    """An article with figures, further reading, the groups that discuss it and their own
    discussions, one of them members-only with ``viewer`` a member."""
    article = factories.make_article(title)
    article.figures = [
        Figure(position=n, after_paragraph=1, caption=f"Figure {n}", credit="Press")
        for n in range(5)
    ]
    article.further_reading = [Reading(position=n, text=f"Reading {n}") for n in range(6)]
    groups = [ensure_group(f"{title} circle {n}") for n in range(4)]
    groups[0].visibility = Visibility.MEMBERS
    article.groups = groups
    for group in groups[:3]:
        open_group_discussion(None, group, article)
    if viewer is not None:
        db.session.add(Membership(group=groups[0], user_id=viewer.id))
    db.session.commit()
    return article


def statements_for(client, slug: str) -> int:
    db.session.expunge_all()
    with count_queries() as statements:
        assert client.get(f"/articles/{slug}").status_code == 200
    return len(statements)


@pytest.mark.parametrize("persona", [None, "reader", "admin"])
def test_the_page_runs_as_many_statements_whatever_the_article_has(request, client, persona):
    viewer = request.getfixturevalue(persona) if persona else None
    bare = factories.make_article("Bare Facts")
    full = article_with_everything("Full Picture", viewer)
    bare_slug, full_slug = bare.slug, full.slug
    if viewer is not None:
        login(client, viewer)
    # The first request of a process learns things once (whether the page cache's table
    # exists): not the article page's cost.
    client.get("/")

    few = statements_for(client, bare_slug)
    many = statements_for(client, full_slug)
    assert many == few
    # The budget for any page; the thread and the signed-in reader need most of it.
    assert many <= 12
    html = text_of(client.get(f"/articles/{full_slug}"))
    assert "Reading 5" in html and "Full Picture circle 3" in html


def test_further_reading_and_groups_keep_their_order(client):
    article = factories.make_article("Ordered Lines")
    article.further_reading = [
        Reading(position=1, text="Second to read", url="https://example.org/second"),
        Reading(position=0, text="First to read"),
    ]
    article.groups = [ensure_group("Zeta Readers"), ensure_group("Alpha Circle")]
    db.session.commit()

    html = text_of(client.get("/articles/ordered-lines"))
    assert html.index("First to read") < html.index("Second to read")
    assert '<a href="https://example.org/second" rel="nofollow noopener">Second to read</a>' in html
    assert (
        'Discussed by the <a class="group-link" href="/groups/alpha-circle">Alpha Circle</a>'
        ' and the <a class="group-link" href="/groups/zeta-readers">Zeta Readers</a>.'
    ) in html


def test_a_renamed_group_is_shown_by_its_new_name(client, reader):
    article = factories.make_article("Renamed Circles")
    group = ensure_group("Harbour Readers")
    article.groups = [group]
    open_group_discussion(None, group, article)
    db.session.commit()
    login(client, reader)
    assert "Harbour Readers" in text_of(client.get("/articles/renamed-circles"))

    group.name = "Lighthouse Readers"
    db.session.commit()
    html = text_of(client.get("/articles/renamed-circles"))
    assert "Harbour Readers" not in html
    assert html.count("Lighthouse Readers") == 2  # "Discussed by" and the group's discussion


@pytest.mark.parametrize(("persona", "shown"), [(None, False), ("reader", False), ("admin", True)])
def test_only_editors_are_offered_to_edit_the_article(request, client, persona, shown):
    factories.make_article("Editable Words")
    if persona:
        login(client, request.getfixturevalue(persona))
    html = text_of(client.get("/articles/editable-words"))
    assert ('href="/articles/editable-words/edit">Edit this article</a>' in html) == shown


@pytest.mark.parametrize("persona", [None, "reader", "moderator"])
def test_a_hidden_article_does_not_exist_for_readers(request, client, persona):
    factories.make_article("Quiet Draft", is_hidden=True)
    if persona:
        login(client, request.getfixturevalue(persona))
    response = client.get("/articles/quiet-draft")
    assert response.status_code == 404
    assert "There is no such article." in text_of(response)


def test_admins_see_a_hidden_article_with_a_warning(client, admin):
    factories.make_article("Quiet Draft", is_hidden=True)
    login(client, admin)
    response = client.get("/articles/quiet-draft")
    assert response.status_code == 200
    assert "This article is hidden from readers." in text_of(response)


def test_a_group_moderator_sees_their_members_only_groups_discussion(client, reader):
    article = factories.make_article("Closed Doors")
    group = ensure_group("Inner Circle")
    group.visibility = Visibility.MEMBERS
    open_group_discussion(None, group, article)
    db.session.add(Membership(group=group, user_id=reader.id, role=MemberRole.MODERATOR))
    db.session.commit()
    login(client, reader)
    html = text_of(client.get("/articles/closed-doors?group=inner-circle"))
    assert "<strong>Inner Circle</strong> (shown below)" in html
    assert "members only" in html
