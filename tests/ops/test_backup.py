"""`forum backup` while members keep posting, and `forum restore` into an empty instance."""

from __future__ import annotations

import io
import json
import sqlite3
import tarfile
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from forum.discussions.models import Discussion, Post
from forum.extensions import db
from forum.notifications.jobs import TASKS, get_huey
from forum.ops.backup import create_backup
from forum.ops.schedule import backups, run_scheduled_backup
from tests import factories
from tests.ops.conftest import run_command


class PostWriter:
    """A member posting in a loop on a thread of its own, each post with its discussion's
    counter in one transaction, so a consistent copy has counter == number of posts."""

    def __init__(self, app, discussion_id: int, author_id: int) -> None:
        self.app = app
        self.discussion_id = discussion_id
        self.author_id = author_id
        self.committed = 0
        self.errors: list[BaseException] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        from forum.accounts.models import User

        try:
            with self.app.app_context():
                discussion = db.session.get(Discussion, self.discussion_id)
                author = db.session.get(User, self.author_id)
                while not self.stop.is_set():
                    factories.make_post(discussion, author, f"Post number {self.committed + 1}")
                    self.committed += 1
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.errors.append(error)

    def wait_for(self, count: int, timeout: float = 20.0) -> bool:
        deadline = datetime.now(UTC) + timedelta(seconds=timeout)
        while self.committed < count and datetime.now(UTC) < deadline and not self.errors:
            threading.Event().wait(0.01)
        return self.committed >= count

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=30)


def seed(app):
    with app.app_context():
        author = factories.make_user("rita@example.org", "Rita Reader")
        article = factories.make_article("Beijing Signals")
        discussion = factories.public_discussion(article)
        factories.make_post(discussion, author, "The first word.")
        return discussion.id, author.id


def counts_in(app) -> tuple[int, int]:
    """(posts, the discussion's own counter) in the app's database."""
    with app.app_context():
        posts = db.session.scalar(select(func.count(Post.id)))
        counter = db.session.scalar(select(func.sum(Discussion.post_count)))
        db.session.remove()
        return posts, counter


def test_backup_while_members_post_restores_a_consistent_copy(tmp_path, make_instance):
    source = make_instance(tmp_path / "source")
    discussion_id, author_id = seed(source)
    archive = tmp_path / "backup.tar.gz"
    during = {}

    with PostWriter(source, discussion_id, author_id) as writer:
        assert writer.wait_for(5), writer.errors

        def progress(step: str, done: int, total: int) -> None:
            # Inside the copy's snapshot: members must still be able to post.
            if step.startswith("Copying") and "before" not in during:
                during["before"] = writer.committed
                during["went_on"] = writer.wait_for(writer.committed + 5)

        with source.app_context():
            path, manifest = create_backup(source, archive, progress)
        finished_at = writer.committed
    assert not writer.errors
    assert during["went_on"], "posting stopped while the backup ran"

    # The copy is one moment: not before the backup began, not after it ended, and every
    # table agrees with every other (the counter matches the posts).
    # (The seed wrote one post before the writer began.)
    backed_up = manifest.counts["posts"]
    assert 1 + 5 <= backed_up <= 1 + during["before"]
    assert backed_up < 1 + finished_at  # the posts written during the copy are not in it

    target_folder = tmp_path / "target"
    target = make_instance(target_folder, create=False)
    result = run_command(target, "restore", str(path))
    assert result.exit_code == 0, result.output
    assert "checked against its manifest" in result.output

    posts, counter = counts_in(target)
    assert posts == counter == backed_up
    database = sqlite3.connect(target_folder / "forum.db")
    assert database.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    database.close()
    assert (target_folder / "secret_key").read_text() == (
        tmp_path / "source" / "secret_key"
    ).read_text()

    # The restored instance serves the discussion, with the last post the copy holds.
    with target.app_context():
        last = db.session.scalar(select(Post).order_by(Post.id.desc()).limit(1))
        last_id, last_text = last.id, last.body_md
    client = target.test_client()
    page = client.get(f"/posts/{last_id}", follow_redirects=True)
    assert page.status_code == 200
    assert last_text in page.get_data(as_text=True)
    assert client.get("/healthz").status_code == 200


def test_restore_refuses_an_instance_that_holds_data(tmp_path, make_instance):
    source = make_instance(tmp_path / "source")
    seed(source)
    with source.app_context():
        path, _ = create_backup(source, tmp_path)
    assert path.name.startswith("forum-backup-") and path.parent == tmp_path

    result = run_command(source, "restore", str(path))
    assert result.exit_code == 1
    assert "already holds data" in result.output
    assert "empty" in result.output
    assert counts_in(source) == (1, 1)  # nothing touched


def test_restore_into_an_upgraded_empty_database(tmp_path, make_instance):
    """`forum db upgrade` first, then restore: empty tables are not data."""
    source = make_instance(tmp_path / "source")
    seed(source)
    with source.app_context():
        path, _ = create_backup(source, tmp_path / "b.tar.gz")
    target = make_instance(tmp_path / "target")
    result = run_command(target, "restore", str(path))
    assert result.exit_code == 0, result.output
    assert counts_in(target) == (1, 1)


def _rewrite(path: Path, out: Path, change) -> None:
    """Copy an archive, letting ``change(name, data) -> data`` alter its members."""
    with tarfile.open(path, "r:gz") as original, tarfile.open(out, "w:gz") as copy:
        for member in original.getmembers():
            data = change(member.name, original.extractfile(member).read())
            member.size = len(data)
            copy.addfile(member, io.BytesIO(data))


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        (
            "manifest.json",
            lambda data: json.dumps({**json.loads(data), "revision": "f00dfeedbeef"}).encode(),
            "does not know: it comes from a newer release",
        ),
        (
            "manifest.json",
            lambda data: json.dumps({**json.loads(data), "database": "postgresql"}).encode(),
            "holds a postgresql database, but this instance is configured for sqlite",
        ),
        ("instance/secret_key", lambda data: b"tampered", "damaged: instance/secret_key"),
    ],
)
def test_restore_checks_the_archive_first(tmp_path, make_instance, name, change, message):
    source = make_instance(tmp_path / "source")
    seed(source)
    with source.app_context():
        path, _ = create_backup(source, tmp_path / "b.tar.gz")
    bad = tmp_path / "bad.tar.gz"
    _rewrite(path, bad, lambda member, data: change(data) if member == name else data)

    target_folder = tmp_path / "target"
    target = make_instance(target_folder, create=False)
    result = run_command(target, "restore", str(bad))
    assert result.exit_code == 1
    assert message in result.output
    assert not _has_posts_table(target_folder / "forum.db")  # nothing was restored


def _has_posts_table(path: Path) -> bool:
    if not path.exists():
        return False
    database = sqlite3.connect(path)
    try:
        return bool(database.execute("SELECT 1 FROM sqlite_master WHERE name = 'posts'").fetchall())
    finally:
        database.close()


def test_restore_says_a_file_is_not_a_backup(tmp_path, make_instance):
    junk = tmp_path / "notes.tar.gz"
    junk.write_text("not an archive")
    target = make_instance(tmp_path / "target", create=False)
    result = run_command(target, "restore", str(junk))
    assert result.exit_code == 1
    assert "is not a Forum backup" in result.output


def test_backup_command_reports_what_it_wrote_and_never_overwrites(tmp_path, make_instance):
    source = make_instance(tmp_path / "source")
    seed(source)
    result = run_command(source, "backup", str(tmp_path / "b.tar.gz"))
    assert result.exit_code == 0, result.output
    assert "Copying the database" in result.output  # progress
    assert "Backup written to" in result.output
    with tarfile.open(tmp_path / "b.tar.gz") as archive:
        names = archive.getnames()
        manifest = json.loads(archive.extractfile("manifest.json").read())
    assert names[0] == "manifest.json"
    assert {"database.sqlite3", "instance/secret_key"} <= set(names)
    assert manifest["database"] == "sqlite"
    assert manifest["revision"]
    assert manifest["created_at"]
    assert manifest["forum_version"]
    assert manifest["counts"]["users"] == 1

    again = run_command(source, "backup", str(tmp_path / "b.tar.gz"))
    assert again.exit_code == 1
    assert "already exists" in again.output


def test_the_worker_backs_up_on_schedule_and_keeps_the_newest(tmp_path, make_instance):
    folder = tmp_path / "backups"
    source = make_instance(
        tmp_path / "source", BACKUP_DIR=str(folder), BACKUP_EVERY_HOURS=6, BACKUP_KEEP=2
    )
    seed(source)
    start = datetime(2026, 11, 2, 3, 0, tzinfo=UTC)
    with source.app_context():
        get_huey(source)
        assert "scheduled_backup" in source.extensions[TASKS]
        made = [run_scheduled_backup(source, now=start + timedelta(hours=h)) for h in range(19)]
    assert [i for i, path in enumerate(made) if path] == [0, 6, 12, 18]
    kept = backups(folder)
    assert [moment for moment, _ in kept] == [
        start + timedelta(hours=18),
        start + timedelta(hours=12),
    ]
    assert len(list(folder.glob("*.tar.gz"))) == 2


def test_no_schedule_no_backups(tmp_path, make_instance):
    source = make_instance(tmp_path / "source", BACKUP_DIR=str(tmp_path / "backups"))
    with source.app_context():
        assert run_scheduled_backup(source) is None
    assert not (tmp_path / "backups").exists()
