"""``forum restore``: an archive from ``forum backup`` into an empty instance.

Nothing is overwritten that holds data: the database must have no rows (a fresh database, or
one just made by ``forum db upgrade``) and the mail folder no messages. Before anything is
written the archive is checked: its manifest, the checksum of every file, the database kind and
the migration revision (an archive from a newer Forum is refused). After the restore the row
count of every table is compared with the manifest.
"""

from __future__ import annotations

import shutil
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import Flask
from sqlalchemy import inspect, text

from forum.extensions import db
from forum.ops.backup import (
    FORMAT,
    INSTANCE_DIR,
    MANIFEST,
    POSTGRES_FILE,
    SQLITE_FILE,
    BackupError,
    Manifest,
    Progress,
    count_rows,
    database_kind,
    libpq_url,
    no_progress,
    run_pg_tool,
    sha256,
    sqlite_facts,
    sqlite_path,
)

# Rows these tables hold are not data a restore could lose.
NOT_DATA = {"alembic_version", "page_versions"}


@dataclass
class RestoreReport:
    manifest: Manifest
    notes: list[str] = field(default_factory=list)


def read_manifest(archive: tarfile.TarFile) -> Manifest:
    try:
        handle = archive.extractfile(MANIFEST)
    except KeyError:
        handle = None
    if handle is None:
        raise BackupError("This is not a Forum backup: it has no manifest.json.")
    try:
        manifest = Manifest.from_json(handle.read().decode())
    except (ValueError, TypeError) as error:
        raise BackupError(f"The backup's manifest.json cannot be read: {error}") from None
    if manifest.format > FORMAT:
        raise BackupError(
            f"This backup was written by a newer Forum (archive format {manifest.format}); "
            "restore it with that version or a later one."
        )
    return manifest


def migration_scripts(app: Flask) -> ScriptDirectory:
    migrate = app.extensions["migrate"]
    return ScriptDirectory.from_config(migrate.migrate.get_config(migrate.directory))


def _check_revision(app: Flask, manifest: Manifest) -> list[str]:
    """Refuse a revision this code does not know; note one that needs upgrading."""
    if manifest.revision is None:
        return [
            "The backed-up database had no migration revision (made without "
            "`forum db upgrade`); run `forum db stamp head` if its tables are current."
        ]
    scripts = migration_scripts(app)
    try:
        known = scripts.get_revision(manifest.revision)
    except CommandError:
        known = None
    if known is None:
        raise BackupError(
            f"The backup's database is at migration {manifest.revision}, which this version "
            f"of Forum does not know: it comes from a newer release (the backup says "
            f"{manifest.forum_version}). Install that release, then restore."
        )
    if manifest.revision not in scripts.get_heads():
        return ["The database is older than this release: run `forum db upgrade`, then start."]
    return []


def _rows_present(connection) -> dict[str, int]:
    # The models' tables only: search indexes (SQLite's FTS tables) are made on first use and
    # hold bookkeeping rows even in an empty instance.
    counts = count_rows(connection)
    return {
        name: count
        for name, count in counts.items()
        if count and name in db.metadata.tables and name not in NOT_DATA
    }


def check_empty(app: Flask) -> None:
    """Refuse an instance that holds data, saying what is there and how to start afresh."""
    with db.engine.connect() as connection:
        present = _rows_present(connection)
    if present:
        listed = ", ".join(f"{name} ({count})" for name, count in sorted(present.items())[:5])
        raise BackupError(
            f"The database already holds data: {listed}. Restore only into an empty "
            "instance: point FORUM_DATABASE_URL at a new, empty database (or "
            "FORUM_INSTANCE_PATH at a new folder) and run `forum restore` again."
        )
    mail = Path(app.instance_path) / "mail"
    if mail.is_dir() and any(path.is_file() for path in mail.rglob("*")):
        raise BackupError(
            f"The instance's mail folder {mail} already holds messages. Restore only into an "
            "empty instance: use a new FORUM_INSTANCE_PATH, or move that folder away."
        )


def _safe_name(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        raise BackupError(f"The backup holds a file outside the archive: {name!r}.")
    return path


def _extract(archive: tarfile.TarFile, manifest: Manifest, work: Path, progress: Progress):
    """Extract exactly the files the manifest lists, checking each one's checksum."""
    total = len(manifest.files)
    for index, (name, digest) in enumerate(sorted(manifest.files.items()), start=1):
        target = work / _safe_name(name)
        try:
            member = archive.getmember(name)
        except KeyError:
            raise BackupError(f"The backup is incomplete: {name} is missing.") from None
        if not member.isfile():
            raise BackupError(f"The backup's {name} is not a regular file.")
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.extractfile(member) as source, target.open("wb") as copy:
            shutil.copyfileobj(source, copy)
        if sha256(target) != digest:
            raise BackupError(f"The backup is damaged: {name} does not match its checksum.")
        progress("Checking the archive (files)", index, total)


def _compare_counts(expected: dict[str, int], found: dict[str, int], where: str) -> None:
    wrong = {
        name: (count, found.get(name))
        for name, count in expected.items()
        if found.get(name) != count
    }
    if wrong:
        listed = ", ".join(f"{name}: {a} expected, {b} found" for name, (a, b) in wrong.items())
        raise BackupError(f"The {where} does not match the backup's manifest ({listed}).")


def _restore_sqlite(app: Flask, source: Path, manifest: Manifest, progress: Progress) -> None:
    check = sqlite3.connect(source)
    try:
        result = check.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        check.close()
    if result != "ok":
        raise BackupError(f"The backed-up database fails SQLite's integrity check: {result}")
    _revision, counts = sqlite_facts(source)
    _compare_counts(manifest.counts, counts, "backed-up database")
    target = sqlite_path(db.engine.url)
    target.parent.mkdir(parents=True, exist_ok=True)
    db.session.remove()
    db.engine.dispose()
    # The backup API writes into the target through SQLite itself, so its WAL and lock
    # files stay coherent (copying over the file would not).
    reader = sqlite3.connect(source)
    writer = sqlite3.connect(target, timeout=30)
    try:

        def step(status: int, remaining: int, total: int) -> None:
            progress("Restoring the database (pages)", total - remaining, total)

        reader.backup(writer, pages=1024, progress=step)
    finally:
        writer.close()
        reader.close()


def _restore_postgres(source: Path, manifest: Manifest, progress: Progress) -> None:
    if shutil.which("pg_restore") is None:
        raise BackupError(
            "pg_restore is not installed: install the PostgreSQL client "
            "(apt-get install postgresql-client) with the server's major version."
        )
    with db.engine.connect() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar()
        has_tables = bool(schema and inspect(connection).get_table_names(schema=schema))
    if schema and manifest.schema and schema != manifest.schema:
        raise BackupError(
            f"The backup holds the schema {manifest.schema!r}, but this instance uses "
            f"{schema!r}: set its search_path to {manifest.schema!r} and restore again."
        )
    url, env = libpq_url(db.engine.url)
    command = [
        "pg_restore",
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        "--verbose",
        f"--dbname={url}",
    ]
    if has_tables:
        # Empty tables from `forum db upgrade`: replaced by the backup's own.
        command += ["--clean", "--if-exists"]
    command.append(str(source))
    db.session.remove()
    db.engine.dispose()
    run_pg_tool(
        command, env, "processing data for table", "Restoring", len(manifest.counts), progress
    )


def _restore_files(app: Flask, work: Path, notes: list[str]) -> None:
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    saved = work / INSTANCE_DIR
    if not saved.is_dir():
        return
    for path in sorted(p for p in saved.rglob("*") if p.is_file()):
        relative = path.relative_to(saved)
        target = instance / relative
        if relative.as_posix() == "forum.cfg" and target.exists():
            if target.read_bytes() != path.read_bytes():
                target = instance / "forum.cfg.restored"
                notes.append(
                    f"This instance has its own forum.cfg, kept as it is; the backup's is in "
                    f"{target}: compare them."
                )
            else:
                continue
        target.parent.mkdir(parents=True, exist_ok=True)
        # The key the instance had: generated into its folder, or set from outside.
        from_folder = target.is_file() and target.read_text().strip()
        shutil.copyfile(path, target)
        if relative.as_posix() == "secret_key":
            target.chmod(0o600)
            key = app.config.get("SECRET_KEY")
            if key != from_folder and key != path.read_text().strip():
                notes.append(
                    "The backup's secret key is restored into the instance folder, but "
                    "FORUM_SECRET_KEY (or forum.cfg) sets another: set it to the backup's "
                    "key, or sessions and links sent before the backup stop working."
                )


def restore_backup(app: Flask, source: Path, progress: Progress | None = None) -> RestoreReport:
    """Restore the archive at ``source`` into this (empty) instance; see the module docstring."""
    progress = progress or no_progress
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"There is no backup at {source}.")
    try:
        archive = tarfile.open(source, "r:gz")
    except (tarfile.TarError, OSError) as error:
        raise BackupError(f"{source} is not a Forum backup (a .tar.gz): {error}") from None
    with archive:
        manifest = read_manifest(archive)
        kind = database_kind(db.engine.url)
        if manifest.database != kind:
            raise BackupError(
                f"This backup holds a {manifest.database} database, but this instance is "
                f"configured for {kind} (FORUM_DATABASE_URL). Restore it into an instance "
                f"of the same kind."
            )
        notes = _check_revision(app, manifest)
        check_empty(app)
        with tempfile.TemporaryDirectory(prefix=".forum-restore-") as work:
            work_dir = Path(work)
            _extract(archive, manifest, work_dir, progress)
            if kind == "sqlite":
                _restore_sqlite(app, work_dir / SQLITE_FILE, manifest, progress)
            else:
                _restore_postgres(work_dir / POSTGRES_FILE, manifest, progress)
            _restore_files(app, work_dir, notes)
    with db.engine.connect() as connection:
        schema = manifest.schema if kind == "postgresql" else None
        _compare_counts(manifest.counts, count_rows(connection, schema), "restored database")
    return RestoreReport(manifest=manifest, notes=notes)
