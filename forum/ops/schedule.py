"""Scheduled backups for the worker: every BACKUP_EVERY_HOURS into BACKUP_DIR, keeping the
newest BACKUP_KEEP archives.

The worker asks every ten minutes whether a backup is due, judged by the newest archive's
name, so a worker restarted mid-interval neither skips a backup nor makes two. A lock file in
the folder keeps two workers on one machine from backing up at the same moment.
"""

from __future__ import annotations

import fcntl
import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask

from forum.core.db import utc_now
from forum.ops.backup import create_backup

log = logging.getLogger(__name__)

NAME = re.compile(r"forum-backup-(\d{8}T\d{6}Z)\.tar\.gz")
# A backup finishing a little late still counts for its hour: the next one is due on time.
SLACK = timedelta(minutes=10)


def backup_dir(app: Flask) -> Path:
    return Path(app.config.get("BACKUP_DIR") or Path(app.instance_path) / "backups")


def backups(folder: Path) -> list[tuple[datetime, Path]]:
    """The folder's archives, newest first, with the time in their names."""
    found = []
    if folder.is_dir():
        for path in folder.iterdir():
            match = NAME.fullmatch(path.name)
            if match:
                moment = datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
                found.append((moment, path))
    return sorted(found, reverse=True)


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` archives; returns what was deleted."""
    removed = []
    for _moment, path in backups(folder)[max(keep, 1) :]:
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def run_scheduled_backup(app: Flask, now: datetime | None = None) -> Path | None:
    """Make a backup if one is due; returns its path, or None when none was due."""
    every = float(app.config.get("BACKUP_EVERY_HOURS") or 0)
    if every <= 0:
        return None
    now = now or utc_now()
    folder = backup_dir(app)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None  # another worker is backing up right now
        existing = backups(folder)
        if existing and now - existing[0][0] < timedelta(hours=every) - SLACK:
            return None
        path, manifest = create_backup(app, folder, now=now)
        removed = prune(folder, int(app.config.get("BACKUP_KEEP") or 7))
        log.info(
            "Backup written to %s (%s rows); %d old backup(s) removed",
            path,
            sum(manifest.counts.values()),
            len(removed),
        )
        return path
