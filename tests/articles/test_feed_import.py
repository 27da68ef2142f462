"""Importing RSS 2.0, Atom and WordPress exports: good, bad and hostile documents."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from forum.accounts.models import User
from forum.articles.importing import import_sources
from forum.articles.models import Article, ImportedComment, UnclaimedAccount
from forum.discussions.models import Discussion, Post
from forum.extensions import db
from forum.groups.models import Group
from forum.groups.services import ensure_group
from tests import factories

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def article(slug: str) -> Article:
    return db.session.scalar(select(Article).where(Article.slug == slug))


def fixture(name: str) -> str:
    return str(FIXTURES / name)


def test_rss_items_become_sanitised_articles_with_their_discussion_and_group():
    group = ensure_group("Coastal Walkers Discussion group")
    db.session.commit()

    report = import_sources([fixture("rss.xml")], now=NOW)
    db.session.commit()

    assert [e.slug for e in report.created] == [
        "tides-of-the-northern-sound",
        "cafe-culture-at-the-harbour",
    ]
    assert [(e.title, e.reason) for e in report.skipped] == [
        ("https://blog.example.org/?p=103", "no title")
    ]
    tides = article("tides-of-the-northern-sound")
    assert tides.guid == "https://blog.example.org/?p=101"
    assert tides.source_url == "https://blog.example.org/2024/05/tides-of-the-northern-sound/"
    assert tides.published_at == datetime(2024, 5, 14, 8, 30, tzinfo=UTC)
    assert (tides.author_name, tides.publication) == ("Edda Morn", "Harbour Review")
    # The tag naming an existing group links the article to it; "Tides" names none and
    # creates none.
    assert tides.groups == [group]
    assert count(Group) == 1
    html = tides.body_html
    assert "<em>twice</em>" in html
    assert '<a href="https://blog.example.org/tide-tables/"' in html
    assert "<li>High water at dawn</li>" in html
    for hostile in ("<script", "document.cookie", "onclick", "javascript:", "onerror", "<img"):
        assert hostile not in html
    assert "from habit" in html  # the link's text stays, its javascript: address goes
    cafe = article("cafe-culture-at-the-harbour")
    assert cafe.title == "Café Culture at the Harbour"
    assert "since 1911 &amp; still" in cafe.body_html
    assert count(Discussion) == 2


def test_atom_entries_with_html_and_xhtml_content():
    report = import_sources([fixture("atom.xml")], now=NOW)
    db.session.commit()

    assert [e.slug for e in report.created] == ["keepers-remember", "the-lamp-room"]
    keepers = article("keepers-remember")
    # A title of type html is read as text, never as markup.
    assert keepers.title == "Keepers Remember"
    assert keepers.published_at == datetime(2024, 6, 1, 7, 0, tzinfo=UTC)
    assert keepers.author_name == "Ivo Sand"
    assert "<iframe" not in keepers.body_html
    lamp = article("the-lamp-room")
    assert "<p>The lamp room is <strong>small</strong> and bright.</p>" in lamp.body_html
    assert "<p>It smells of brass polish.</p>" in lamp.body_html
    assert lamp.source_url == "https://lights.example.net/the-lamp-room"
    # No published date: the import's time stands in.
    assert lamp.published_at == NOW


def test_importing_again_skips_what_is_unchanged_and_updates_what_changed(tmp_path):
    import_sources([fixture("rss.xml")], now=NOW)
    db.session.commit()

    again = import_sources([fixture("rss.xml")], now=NOW)
    db.session.commit()
    assert not again.created and not again.updated
    assert [e.reason for e in again.skipped] == [
        "unchanged since the last import",
        "unchanged since the last import",
        "no title",
    ]

    changed = tmp_path / "changed.xml"
    changed.write_text(
        (FIXTURES / "rss.xml")
        .read_text()
        .replace("Tides of the Northern Sound", "Tides of the Northern Sound, Revised")
        .replace("the ferry keeps to them", "the ferry no longer keeps to them"),
        encoding="utf-8",
    )
    third = import_sources([changed], now=NOW)
    db.session.commit()

    # Found again by its guid: the title changed, the address (slug) did not.
    assert [e.slug for e in third.updated] == ["tides-of-the-northern-sound"]
    tides = article("tides-of-the-northern-sound")
    assert tides.title == "Tides of the Northern Sound, Revised"
    assert "no longer keeps" in tides.body_html
    assert count(Article) == 2 and count(Discussion) == 2


def test_an_item_is_found_by_its_link_when_its_guid_changes(tmp_path):
    import_sources([fixture("rss.xml")], now=NOW)
    db.session.commit()
    moved = tmp_path / "moved.xml"
    moved.write_text(
        (FIXTURES / "rss.xml").read_text().replace("?p=101", "?p=101-moved"), encoding="utf-8"
    )

    report = import_sources([moved], now=NOW)
    db.session.commit()

    assert [e.slug for e in report.updated] == ["tides-of-the-northern-sound"]
    assert article("tides-of-the-northern-sound").guid == "https://blog.example.org/?p=101-moved"
    assert count(Article) == 2


def test_a_feed_adopts_the_same_article_imported_from_text(tmp_path):
    made = factories.make_article("Tides of the Northern Sound")
    db.session.commit()

    report = import_sources([fixture("rss.xml")], now=NOW)
    db.session.commit()

    assert report.updated[0].slug == made.slug
    assert count(Article) == 2


def test_a_wordpress_export_brings_articles_and_threaded_approved_comments():
    group = ensure_group("Great Decisions Discussion group")
    db.session.commit()

    report = import_sources([fixture("wordpress.xml")], now=NOW)
    db.session.commit()

    assert [e.slug for e in report.created] == ["grain-routes-through-the-black-sea"]
    assert report.created[0].comments == 4
    assert [(e.title, e.reason) for e in report.skipped] == [
        ("A Draft About Ports", "not published (status “draft”)")
    ]
    assert report.comments_skipped == {"not approved": 1, "pingback": 1}
    grain = article("grain-routes-through-the-black-sea")
    assert grain.groups == [group]
    assert grain.published_at == datetime(2024, 3, 4, 9, 0, tzinfo=UTC)
    # WordPress keeps paragraphs as blank lines; they become paragraphs here.
    assert "<p>Insurers price every voyage <strong>separately</strong>.<br>" in grain.body_html
    assert "<script" not in grain.body_html
    assert article("about") is None  # pages are not articles

    posts = list(db.session.scalars(select(Post).order_by(Post.created_at)))
    assert [p.body_md for p in posts] == [
        "Who insures the ships that go anyway?",
        "A state fund does, [mostly](https://notes.example.com/fund/).",
        "Thank you, that explains the prices.",
        "Anonymous, but approved.",
    ]
    question, answer, thanks, anonymous = posts
    assert answer.parent_id == question.id and thanks.parent_id == answer.id
    assert (thanks.depth, thanks.root_id) == (2, question.id)
    assert anonymous.parent_id is None
    assert "onerror" not in answer.body_html
    assert question.created_at == datetime(2024, 3, 4, 12, 0, tzinfo=UTC)
    # One unclaimed account per address (whatever its capitals) and one for the nameless.
    assert question.author_id == thanks.author_id
    assert question.author.display_name == "Alice Archer"
    assert anonymous.author.display_name == "Blog reader"
    assert count(UnclaimedAccount) == 3
    assert question.author.email.endswith("@unclaimed.invalid")
    discussion = question.discussion
    assert (discussion.post_count, discussion.last_post_at) == (
        4,
        datetime(2024, 3, 5, 10, 0, tzinfo=UTC),
    )


def test_a_wordpress_export_imported_twice_adds_nothing():
    import_sources([fixture("wordpress.xml")], now=NOW)
    db.session.commit()

    report = import_sources([fixture("wordpress.xml")], now=NOW)
    db.session.commit()

    assert not report.created and not report.updated
    assert report.skipped[0].reason == "unchanged since the last import"
    assert report.comments_skipped["already imported"] == 4
    assert count(Post) == 4 and count(ImportedComment) == 4 and count(UnclaimedAccount) == 3
    assert db.session.scalar(select(Discussion.post_count)) == 4


def test_comments_by_a_verified_member_are_theirs_at_once():
    member = factories.make_user("alice@example.org", "Alice A.")
    db.session.commit()

    import_sources([fixture("wordpress.xml")], now=NOW)
    db.session.commit()

    mine = db.session.scalars(select(Post).where(Post.author_id == member.id)).all()
    assert len(mine) == 2
    assert count(UnclaimedAccount) == 2


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("billion_laughs.xml", "refused: the document declares XML entities"),
        ("external_entity.xml", "refused: the document declares XML entities"),
        ("malformed.xml", "malformed XML at line 4, column 2: mismatched tag"),
        ("wrong_encoding.xml", "not valid utf-8 as it declares (byte 0xe9 at offset 77)"),
        ("rss1.rdf.xml", "not an RSS 2.0, Atom or WordPress export document (<RDF>)"),
    ],
)
def test_hostile_and_broken_documents_are_refused_whole(name, message):
    report = import_sources([fixture(name)], now=NOW)
    db.session.commit()

    assert [e.source for e in report.failed] == [fixture(name)]
    assert message in report.failed[0].reason
    assert count(Article) == 0 and count(Discussion) == 0


def test_a_declared_encoding_other_than_utf8_is_read():
    report = import_sources([fixture("latin1.xml")], now=NOW)
    db.session.commit()

    assert report.created[0].title == "Crème Brûlée by the Sea"


def test_files_over_the_size_limit_are_refused_unread(app, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 1024)

    report = import_sources([fixture("wordpress.xml")], now=NOW)

    assert report.failed[0].reason == "larger than 0 MB"
    assert count(Article) == 0


def test_the_good_sources_import_beside_the_bad_ones(app):
    runner = app.test_cli_runner()

    result = runner.invoke(
        args=["import", fixture("rss.xml"), fixture("billion_laughs.xml"), fixture("atom.xml")]
    )

    assert result.exit_code == 1
    assert f"error: {fixture('billion_laughs.xml')}: refused" in result.stderr
    assert "created: tides-of-the-northern-sound" in result.stdout
    assert "skipped: https://blog.example.org/?p=103 (" in result.stdout
    assert "4 created, 0 updated, 1 skipped, 1 failed." in result.stdout
    assert "Importing" in result.stderr  # the progress bar
    db.session.remove()
    assert count(Article) == 4


def test_the_command_reports_comments(app):
    result = app.test_cli_runner().invoke(args=["import", fixture("wordpress.xml")])

    assert result.exit_code == 0, result.output
    assert "created: grain-routes-through-the-black-sea (4 comments imported)" in result.stdout
    assert (
        "1 created, 0 updated, 1 skipped, 0 failed. "
        "Comments: 4 imported; skipped: 1 not approved, 1 pingback." in result.stdout
    )


def test_an_unclaimed_account_cannot_log_in(client):
    import_sources([fixture("wordpress.xml")], now=NOW)
    db.session.commit()
    alice = db.session.scalar(select(User).where(User.display_name == "Alice Archer"))

    for email in (alice.email, "alice@example.org"):
        for password in ("", "!unclaimed", "unclaimed"):
            response = client.post("/auth/login", data={"email": email, "password": password})
            assert response.status_code != 302
