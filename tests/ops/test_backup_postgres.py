"""`forum backup` and `forum restore` on PostgreSQL: pg_dump at one snapshot while members post.

Runs in a scratch schema of the FORUM_TEST_POSTGRES_URL database (the app's search_path), so
it never touches the tables the rest of the suite uses there. Restoring "into an empty
instance" is done by dropping the schema first, as a new database would be.
"""

from __future__ import annotations

import os
import shutil

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError

from forum.discussions.models import Post
from forum.extensions import db
from forum.ops.backup import create_backup
from tests.conftest import require_service
from tests.ops.conftest import run_command
from tests.ops.test_backup import PostWriter, counts_in, seed

# One per test worker: two workers dropping and creating the same schema of the shared
# database pulled it from under each other.
SCHEMA = "forum_ops_backup_" + os.environ.get("PYTEST_XDIST_WORKER", "main")

pytestmark = pytest.mark.postgres


def _drop_schema(engine) -> None:
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))


@pytest.fixture
def postgres(tmp_path):
    url = os.environ.get("FORUM_TEST_POSTGRES_URL", "")
    require_service(bool(url), "FORUM_TEST_POSTGRES_URL is not set")
    tools = shutil.which("pg_dump") and shutil.which("pg_restore")
    require_service(bool(tools), "pg_dump and pg_restore are not installed (postgresql-client)")
    engine = create_engine(url)
    try:
        with engine.connect():
            pass
    except OperationalError as error:
        engine.dispose()
        require_service(False, f"PostgreSQL at FORUM_TEST_POSTGRES_URL is unreachable: {error}")
    _drop_schema(engine)
    with engine.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    options = {"connect_args": {"options": f"-c search_path={SCHEMA}"}}
    yield url, engine, options
    _drop_schema(engine)
    engine.dispose()


def test_postgres_backup_while_members_post_restores_a_consistent_copy(
    tmp_path, make_instance, postgres
):
    url, engine, options = postgres
    source = make_instance(tmp_path / "source", url=url, SQLALCHEMY_ENGINE_OPTIONS=options)
    discussion_id, author_id = seed(source)
    during = {}

    with PostWriter(source, discussion_id, author_id) as writer:
        assert writer.wait_for(5), writer.errors

        def progress(step: str, done: int, total: int) -> None:
            # While pg_dump reads the snapshot, members must still be able to post.
            if step.startswith("Dumping") and "before" not in during:
                during["before"] = writer.committed
                during["went_on"] = writer.wait_for(writer.committed + 5)

        with source.app_context():
            path, manifest = create_backup(source, tmp_path / "pg.tar.gz", progress)
        finished_at = writer.committed
    assert not writer.errors
    assert during["went_on"], "posting stopped while pg_dump ran"
    assert manifest.database == "postgresql" and manifest.schema == SCHEMA
    backed_up = manifest.counts["posts"]
    assert 1 + 5 <= backed_up <= 1 + during["before"]
    assert backed_up < 1 + finished_at

    with source.app_context():
        db.session.remove()
        db.engine.dispose()
    _drop_schema(engine)  # an empty database to restore into

    target = make_instance(
        tmp_path / "target", url=url, create=False, SQLALCHEMY_ENGINE_OPTIONS=options
    )
    result = run_command(target, "restore", str(path))
    assert result.exit_code == 0, result.output

    posts, counter = counts_in(target)
    assert posts == counter == backed_up
    client = target.test_client()
    assert client.get("/healthz").status_code == 200
    with target.app_context():
        first = db.session.scalar(select(Post.id).where(Post.body_md == "The first word."))
    page = client.get(f"/posts/{first}", follow_redirects=True)
    assert page.status_code == 200
    assert "The first word." in page.get_data(as_text=True)

    # And once restored, it is no longer empty: a second restore is refused.
    again = run_command(target, "restore", str(path))
    assert again.exit_code == 1
    assert "already holds data" in again.output


def test_postgres_restore_into_an_upgraded_empty_database(tmp_path, make_instance, postgres):
    """`forum db upgrade` first, then restore: the empty tables give way to the backup's."""
    url, engine, options = postgres
    source = make_instance(tmp_path / "source", url=url, SQLALCHEMY_ENGINE_OPTIONS=options)
    seed(source)
    with source.app_context():
        path, manifest = create_backup(source, tmp_path / "pg.tar.gz")
        db.session.remove()
        db.engine.dispose()
    _drop_schema(engine)
    with engine.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))

    target = make_instance(tmp_path / "target", url=url, SQLALCHEMY_ENGINE_OPTIONS=options)
    result = run_command(target, "restore", str(path))

    assert result.exit_code == 0, result.output
    assert counts_in(target) == (1, 1)
    assert manifest.revision is not None
