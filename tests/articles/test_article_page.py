"""The article around its discussion: what it shows, to whom, and what it costs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import template_rendered
from sqlalchemy import update

from forum.articles.models import Figure, Reading
from forum.discussions.models import Discussion
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
    walkers, readers = ensure_group("Coastal Walkers"), ensure_group("Harbour Readers")
    article.groups = [walkers, readers]
    open_group_discussion(None, walkers, article)
    db.session.commit()
    login(client, reader)
    assert "Harbour Readers" in text_of(client.get("/articles/renamed-circles"))

    # Neither the article nor its discussions change.
    readers.name = "Lighthouse Readers"
    db.session.commit()
    html = text_of(client.get("/articles/renamed-circles"))
    assert "Harbour Readers" not in html and "Lighthouse Readers" in html
    walkers.name = "Cliff Walkers"
    db.session.commit()
    html = text_of(client.get("/articles/renamed-circles"))
    assert "Coastal Walkers" not in html
    assert html.count("Cliff Walkers") == 2  # "Discussed by" and the group's discussion


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


# The article is rendered once and stored for every reader who would see the same -----------


@pytest.fixture
def rendered(app):
    """The templates rendered during the test, by name."""
    names: list[str] = []

    def record(sender, template, context, **extra):
        names.append(template.name)

    template_rendered.connect(record, app)
    yield names
    template_rendered.disconnect(record, app)


def article_part(html: str) -> str:
    """The article and the list of its discussions: what readers share."""
    return html[html.index('<article class="article"') : html.index('<section class="discussion"')]


def test_readers_who_would_see_the_same_article_share_one_rendering(
    client, reader, other_reader, rendered
):
    factories.make_article("Shared Words")
    login(client, reader)
    first = text_of(client.get("/articles/shared-words"))
    client.get("/auth/logout")
    login(client, other_reader)
    second = text_of(client.get("/articles/shared-words"))

    assert rendered.count("articles/_article.html") == 1
    assert article_part(second) == article_part(first)
    assert "Discuss this article in your group" in article_part(second)


def test_what_one_reader_may_do_never_reaches_another(client, admin, reader):
    factories.make_article("Guarded Words")
    login(client, admin)
    assert "Edit this article" in text_of(client.get("/articles/guarded-words"))
    client.get("/auth/logout")
    login(client, reader)
    assert "Edit this article" not in text_of(client.get("/articles/guarded-words"))


def test_each_reader_reads_the_article_in_their_language_and_zone(client, reader, other_reader):
    article = factories.make_article(
        "Late Tides", published_at=datetime(2024, 3, 31, 23, 30, tzinfo=UTC)
    )
    article.further_reading = [Reading(position=0, text="Tide tables")]
    db.session.commit()
    other_reader.timezone = "Asia/Tokyo"
    db.session.commit()
    english = text_of(client.get("/articles/late-tides"))
    assert "To read more on this topic" in english and "31 Mar 2024" in english

    french = text_of(client.get("/articles/late-tides", headers={"Accept-Language": "fr"}))
    assert "Pour aller plus loin sur ce sujet" in french
    assert "To read more on this topic" not in french

    login(client, reader)
    assert "31 Mar 2024" in text_of(client.get("/articles/late-tides"))
    client.get("/auth/logout")
    login(client, other_reader)
    tokyo = text_of(client.get("/articles/late-tides"))
    assert "1 Apr 2024" in tokyo and "31 Mar 2024" not in tokyo


def test_changes_made_outside_the_editor_show_at_once(client, reader):
    """Readings, groups and counts may change without the article's updated_at: an UPDATE
    by hand, a rename, a post in a group's discussion."""
    article = factories.make_article("Moving Parts")
    article.further_reading = [Reading(position=0, text="Old reading")]
    group = ensure_group("Quay Readers")
    article.groups = [group]
    open_group_discussion(None, group, article)
    db.session.commit()
    login(client, reader)
    html = text_of(client.get("/articles/moving-parts"))
    assert "Old reading" in html and "0 comments" in html

    db.session.execute(update(Reading).values(text="New reading"))
    db.session.commit()
    html = text_of(client.get("/articles/moving-parts"))
    assert "Old reading" not in html and "New reading" in html

    db.session.execute(
        update(Discussion).where(Discussion.group_id.is_not(None)).values(post_count=3)
    )
    db.session.commit()
    assert "3 comments" in text_of(client.get("/articles/moving-parts"))
