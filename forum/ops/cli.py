"""``forum backup``, ``forum restore`` and ``forum doctor``."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from forum.ops import doctor as doctor_checks
from forum.ops.backup import BackupError, create_backup
from forum.ops.restore import restore_backup


class _Bars:
    """One progress bar per step of a long run, drawn as the steps report."""

    def __init__(self) -> None:
        self.step: str | None = None
        self.bar = None

    def __call__(self, step: str, done: int, total: int) -> None:
        if step != self.step:
            self.close()
            self.step = step
            self.bar = click.progressbar(length=max(total, 1), label=step, show_pos=True)
            self.bar.__enter__()
        self.bar.length = max(total, 1)
        self.bar.update(done - self.bar.pos)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
@with_appcontext
def backup(path: Path) -> None:
    """Write a consistent copy of everything (database, secret key, forum.cfg, mail) to PATH,
    a .tar.gz file or a folder to put a dated one in. The site may keep serving meanwhile."""
    try:
        with _Bars() as bars:
            written, manifest = create_backup(current_app._get_current_object(), path, bars)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    size = written.stat().st_size
    click.echo(
        f"Backup written to {written} ({size / 1_000_000:.1f} MB): {manifest.database} "
        f"database at migration {manifest.revision}, {sum(manifest.counts.values())} rows "
        f"in {len(manifest.counts)} tables, {len(manifest.files) - 1} instance files."
    )


@click.command("restore")
@click.argument("path", type=click.Path(path_type=Path))
@with_appcontext
def restore(path: Path) -> None:
    """Restore a backup from `forum backup` into this instance, which must be empty."""
    try:
        with _Bars() as bars:
            report = restore_backup(current_app._get_current_object(), path, bars)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    manifest = report.manifest
    click.echo(
        f"Restored the backup of {manifest.created_at} (Forum {manifest.forum_version}, "
        f"migration {manifest.revision}): {sum(manifest.counts.values())} rows, checked "
        "against its manifest."
    )
    for note in report.notes:
        click.echo(f"Note: {note}")


@click.command("doctor")
@with_appcontext
def doctor() -> None:
    """Check the configuration and the running parts; say what to fix. Exits 1 on a problem."""
    findings = doctor_checks.diagnose(current_app._get_current_object())
    width = max(len(finding.check) for finding in findings)
    for finding in findings:
        level = finding.level
        colour = {"ok": "green", "warning": "yellow"}.get(level.value, "red")
        click.echo(
            f"{click.style(f'{level.value:<8}', fg=colour)}"
            f"{finding.check:<{width}}  {finding.message}"
        )
        if finding.fix:
            click.echo(f"{'':<8}{'':<{width}}  fix: {finding.fix}")
    problems = [f for f in findings if f.level is doctor_checks.Level.PROBLEM]
    if problems:
        click.echo(f"\n{len(problems)} problem(s) to fix.", err=True)
        raise SystemExit(1)
    click.echo("\nNo problems found.")


COMMANDS = (backup, restore, doctor)
