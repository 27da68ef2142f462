from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from forum.articles.importing import import_sources
from forum.articles.models import Article
from forum.articles.services import import_article_text
from forum.articles.textformat import ArticleFormatError
from forum.discussions.models import Discussion
from forum.extensions import db
from forum.groups.models import Group
from tests.articles.conftest import SAMPLE, SLUG, TITLE

SEED = Path(__file__).resolve().parents[2].parent / "shared" / "seeds" / "000_a4e27bc5a29d813b.txt"
FIRST = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
LATER = datetime(2024, 4, 2, 10, 0, tzinfo=UTC)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_import_creates_the_article_its_discussion_and_its_group():
    article, created = import_article_text(SAMPLE, "lighthouses.txt", now=FIRST)
    db.session.commit()

    assert created
    assert (article.slug, article.title, article.publication) == (SLUG, TITLE, "Harbour Review")
    assert article.published_at == FIRST
    assert [f.credit for f in article.figures] == [
        "HARBOUR PRESS/Anna Lind",
        "Jonas Berg/Coastal Atlas",
        "Coast Photo/Ivo Sand",
    ]
    assert [r.url for r in article.further_reading] == [None, "https://example.org/lights-out"]
    assert [g.name for g in article.groups] == ["Coastal Walkers Discussion group"]
    assert article.author_name == "Edda Morn"
    assert "\u00a0" not in article.body_md + article.body_html + article.author_bio
    assert article.body_html.count("<figure>") == 3
    assert TITLE not in article.body_html
    assert article.summary.startswith("The northern coast keeps eleven working lighthouses")
    assert count(Discussion) == 1


def test_importing_again_updates_and_never_duplicates():
    import_article_text(SAMPLE, "lighthouses.txt", now=FIRST)
    db.session.commit()
    changed = SAMPLE.replace("Harbour Review", "Harbour Review Weekly", 1).replace(
        "retires next spring", "retired last spring"
    )
    article, created = import_article_text(changed, "lighthouses.txt", now=LATER)
    db.session.commit()

    assert not created
    assert count(Article) == 1 and count(Discussion) == 1 and count(Group) == 1
    assert article.publication == "Harbour Review Weekly"
    assert "retired last spring" in article.body_html
    assert "retires next spring" not in article.body_html
    assert len(article.figures) == 3 and len(article.further_reading) == 2
    # The first import's time stays the publication time; the update is recorded.
    assert article.published_at == FIRST
    assert article.updated_at == LATER


def test_a_date_line_sets_the_publication_date():
    text = SAMPLE.replace("Harbour Review\n", "Harbour Review\n\nJune 14, 2016\n", 1)
    article, _ = import_article_text(text, "dated.txt", now=FIRST)
    assert article.published_at.date().isoformat() == "2016-06-14"


def test_a_file_without_a_title_names_itself_in_the_error():
    with pytest.raises(ArticleFormatError, match="^notitle.txt: no title"):
        import_article_text("Harbour Review\n", "notitle.txt")


def test_a_batch_imports_the_good_files_and_reports_each_bad_one(tmp_path, sample_file):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / "latin1.txt").write_bytes("Revue\n\nCaf\u00e9\n".encode("latin-1"))
    (tmp_path / "notitle.txt").write_text("Harbour Review\n")
    other = tmp_path / "other.txt"
    other.write_text("Harbour Review\n\nA Second Piece\n\nIts only paragraph.\n")
    seen = []

    report = import_sources([tmp_path], progress=seen.append)
    db.session.commit()

    assert sorted(Path(e.source).name for e in report.created) == ["lighthouses.txt", "other.txt"]
    assert {Path(e.source).name: e.error for e in report.failed} == {
        "empty.txt": "the file is empty",
        "image.txt": "the file is binary, not text",
        "latin1.txt": "the file is not valid UTF-8 (byte 0xe9 at offset 10)",
        "notitle.txt": "no title: expected the title after the publication line",
    }
    # Progress counts the articles imported; the bad files were refused before any write.
    assert len(seen) == 2
    assert count(Article) == 2


def test_forum_import_exits_1_after_importing_the_good_files(app, tmp_path, sample_file):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00\x01")
    missing = tmp_path / "missing.txt"
    runner = app.test_cli_runner()

    result = runner.invoke(args=["import", str(sample_file), str(bad), str(missing)])

    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: {bad}: the file is binary, not text",
        f"error: {missing}: no such file",
    ]
    assert "1 created, 0 updated, 0 skipped, 2 failed." in result.stdout
    db.session.remove()
    assert db.session.scalar(select(Article.slug)) == SLUG

    again = runner.invoke(args=["import", str(sample_file)])
    assert again.exit_code == 0, again.output
    assert "0 created, 1 updated, 0 skipped, 0 failed." in again.stdout
    db.session.remove()
    assert count(Article) == 1 and count(Discussion) == 1


def test_the_seed_article():
    if not SEED.exists():
        pytest.skip(f"the seed is not at {SEED}")
    article, _ = import_article_text(SEED.read_text(encoding="utf-8"), SEED.name)
    db.session.commit()

    assert article.publication == "Foreign Policy Blogs"
    assert article.title == "Beijing Signals Through North Korean Defectors"
    credits = [figure.credit for figure in article.figures]
    assert credits == [
        "REUTERS/Joseph Campbell/Files",
        "Luisetta Mudie & Sarah Jackson-Han/Radio Free Asia",
        "AP Photo/Andy Wong",
    ]
    # Of each repeated caption the cleaned, later one is kept.
    assert "file photo" not in article.figures[0].caption
    assert "Nov. 28, 2010" not in article.figures[2].caption
    assert f"<p>{article.title}</p>" not in article.body_html
    assert article.title not in article.body_md
    assert len(article.further_reading) == 4
    assert article.author_name == "Wenjun Zeng"
    assert len(article.author_bio.split("\n\n")) == 2
    assert [group.name for group in article.groups] == ["Great Decisions Discussion group"]
    stored = [article.body_md, article.body_html, article.author_bio, article.title]
    stored += [f.caption for f in article.figures] + [r.text for r in article.further_reading]
    assert not any("\u00a0" in text for text in stored)
