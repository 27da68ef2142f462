"""``forum backup``: one archive with a consistent copy of everything, made while the site serves.

The archive is a tar.gz holding

- ``manifest.json``: the archive format, Forum's version, the migration revision, when it was
  made, the database kind, the row count of every table and a checksum of every file;
- ``database.sqlite3`` (SQLite's online backup API) or ``database.pgdump`` (``pg_dump``'s
  custom format, for ``pg_restore``);
- ``instance/``: the secret key, ``forum.cfg`` and the mail folder, when they exist.

Consistency: on SQLite the copy runs inside one read transaction, which in WAL mode sees one
moment of the database while writers go on (without it, every write would restart the copy).
On PostgreSQL a REPEATABLE READ transaction exports its snapshot and ``pg_dump --snapshot``
dumps exactly that moment; the row counts come from the same snapshot. Either way the counts
in the manifest describe the database in the archive, and ``forum restore`` checks them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path

from flask import Flask
from sqlalchemy import func, inspect, select, table, text
from sqlalchemy.engine import URL, make_url

from forum.core.db import utc_now
from forum.extensions import db

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
POSTGRES_FILE = "database.pgdump"
INSTANCE_DIR = "instance"
# The instance's own files worth keeping; the job queue (jobs.db) holds only work in flight,
# which the outbox table (in the database) covers.
INSTANCE_FILES = ("secret_key", "forum.cfg")
INSTANCE_FOLDERS = ("mail",)
# Pages copied per step of SQLite's backup: small enough for a moving progress bar.
SQLITE_PAGES_PER_STEP = 1024

# progress(step, done, total): the CLI draws it; total 0 means "no count known".
Progress = Callable[[str, int, int], None]


class BackupError(Exception):
    """Something an operator must fix; the message says what."""


@dataclass
class Manifest:
    database: str  # "sqlite" or "postgresql"
    revision: str | None
    created_at: str
    forum_version: str
    counts: dict[str, int] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # archive name -> sha256
    schema: str | None = None  # PostgreSQL: the schema that was dumped
    format: int = FORMAT

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, data: str) -> Manifest:
        values = json.loads(data)
        known = set(cls.__dataclass_fields__)
        return cls(**{key: value for key, value in values.items() if key in known})


def no_progress(step: str, done: int, total: int) -> None:
    pass


def database_kind(url: str | URL) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {backend}.")
    return backend


def sqlite_path(url: str | URL) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("The SQLite database must be a file to be backed up or restored.")
    return Path(database)


def forum_version() -> str:
    try:
        return metadata.version("forum")
    except metadata.PackageNotFoundError:
        return "unknown"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def archive_name(now: datetime) -> str:
    return f"forum-backup-{now.strftime('%Y%m%dT%H%M%SZ')}.tar.gz"


def libpq_url(url: str | URL) -> tuple[str, dict[str, str]]:
    """The database URL for pg_dump/pg_restore, and the environment carrying its password
    (kept off the command line, where any user on the machine could read it)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _revision(connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def count_rows(connection, schema: str | None = None) -> dict[str, int]:
    """Every table's row count (all of them, not only the models': search indexes too)."""
    names = inspect(connection).get_table_names(schema=schema)
    return {
        name: connection.scalar(select(func.count()).select_from(table(name, schema=schema)))
        for name in sorted(names)
    }


# The database ------------------------------------------------------------------------------


def _copy_sqlite(source: Path, target: Path, progress: Progress) -> None:
    """Copy a live SQLite database page by page inside one read transaction (see above)."""
    if not source.exists():
        raise BackupError(f"There is no database at {source}: run `forum db upgrade` first.")
    reader = sqlite3.connect(source, isolation_level=None, timeout=30)
    copy = sqlite3.connect(target)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM sqlite_master").fetchone()  # takes the snapshot

        def step(status: int, remaining: int, total: int) -> None:
            progress("Copying the database (pages)", total - remaining, total)

        reader.backup(copy, pages=SQLITE_PAGES_PER_STEP, progress=step)
        reader.execute("COMMIT")
        # The copy stands alone: no WAL beside it in the archive.
        copy.execute("PRAGMA journal_mode=DELETE")
        result = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise BackupError(f"The copied database fails SQLite's integrity check: {result}")
    finally:
        copy.close()
        reader.close()


def sqlite_facts(path: Path) -> tuple[str | None, dict[str, int]]:
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            return _revision(connection), count_rows(connection)
    finally:
        engine.dispose()


def run_pg_tool(
    command: list[str], env: dict[str, str], marker: str, verb: str, tables: int, progress
) -> None:
    """Run pg_dump or pg_restore (--verbose), a progress step per table line that has
    ``marker``; its error lines become the message when it fails."""
    step = f"{verb} the database (tables)"
    done = 0
    errors = []
    progress(step, 0, tables)
    with subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True) as process:
        for line in process.stderr:
            if marker in line:
                done += 1
                progress(step, min(done, tables), tables)
            elif "error" in line.lower():
                errors.append(line.strip())
    if process.returncode != 0:
        raise BackupError(f"{command[0]} failed: " + (" ".join(errors) or "see its output"))


def _dump_postgres(target: Path, progress: Progress) -> tuple[str | None, dict[str, int], str]:
    """pg_dump of the app's schema at one snapshot; returns (revision, counts, schema)."""
    if shutil.which("pg_dump") is None:
        raise BackupError(
            "pg_dump is not installed: install the PostgreSQL client "
            "(apt-get install postgresql-client) with the server's major version."
        )
    url, env = libpq_url(db.engine.url)
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar()
            schema = connection.execute(text("SELECT current_schema()")).scalar()
            counts = count_rows(connection, schema)
            revision = _revision(connection)
            command = [
                "pg_dump",
                "--format=custom",
                f"--snapshot={snapshot}",
                f"--schema={schema}",
                "--no-owner",
                "--no-privileges",
                "--verbose",
                f"--file={target}",
                f"--dbname={url}",
            ]
            run_pg_tool(command, env, "dumping contents of table", "Dumping", len(counts), progress)
    return revision, counts, schema


# The archive -------------------------------------------------------------------------------


def _instance_members(instance: Path) -> list[tuple[Path, str]]:
    """(file on disk, name in the archive) for the instance's files worth keeping."""
    members = [
        (instance / name, f"{INSTANCE_DIR}/{name}")
        for name in INSTANCE_FILES
        if (instance / name).is_file()
    ]
    for folder in INSTANCE_FOLDERS:
        root = instance / folder
        if root.is_dir():
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                members.append((path, f"{INSTANCE_DIR}/{path.relative_to(instance).as_posix()}"))
    return members


def resolve_destination(path: Path, now: datetime) -> Path:
    """A directory gets a dated archive inside it; an existing file is never overwritten."""
    if path.is_dir():
        path = path / archive_name(now)
    if path.exists():
        raise BackupError(f"{path} already exists; choose another name or a directory.")
    if not path.parent.is_dir():
        raise BackupError(f"The folder {path.parent} does not exist.")
    return path


def create_backup(
    app: Flask, destination: Path, progress: Progress | None = None, now: datetime | None = None
) -> tuple[Path, Manifest]:
    """Write the archive (see the module's docstring); returns its path and manifest.

    Run inside an app context. The archive appears under its final name only when complete.
    """
    progress = progress or no_progress
    now = now or utc_now()
    destination = resolve_destination(Path(destination), now)
    url = db.engine.url
    kind = database_kind(url)
    instance = Path(app.instance_path)
    with tempfile.TemporaryDirectory(prefix=".forum-backup-", dir=destination.parent) as work:
        work_dir = Path(work)
        if kind == "sqlite":
            dump = work_dir / SQLITE_FILE
            _copy_sqlite(sqlite_path(url), dump, progress)
            revision, counts = sqlite_facts(dump)
            schema = None
        else:
            dump = work_dir / POSTGRES_FILE
            revision, counts, schema = _dump_postgres(dump, progress)
        members = [(dump, dump.name), *_instance_members(instance)]
        manifest = Manifest(
            database=kind,
            revision=revision,
            created_at=now.isoformat(),
            forum_version=forum_version(),
            counts=counts,
            schema=schema,
        )
        for index, (path, name) in enumerate(members, start=1):
            manifest.files[name] = sha256(path)
            progress("Checking files", index, len(members))
        manifest_path = work_dir / MANIFEST
        manifest_path.write_text(manifest.to_json())
        partial = work_dir / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(manifest_path, arcname=MANIFEST)
            for index, (path, name) in enumerate(members, start=1):
                archive.add(path, arcname=name)
                progress("Writing the archive (files)", index, len(members))
        partial.chmod(0o600)  # it holds the secret key and every member's data
        os.replace(partial, destination)
    return destination, manifest
