"""``forum import``: articles from text files, RSS and Atom feeds, and WordPress exports."""

from __future__ import annotations

import sys

import click

from forum.articles.importing import ImportReport, import_loaded, load_sources
from forum.extensions import db


def _print_report(report: ImportReport) -> None:
    for entry in report.created:
        click.echo(f"created: {entry.slug}" + _comments(entry.comments))
    for entry in report.updated:
        click.echo(f"updated: {entry.slug}" + _comments(entry.comments))
    for entry in report.skipped:
        click.echo(f"skipped: {entry.title} ({entry.source}): {entry.reason}")
    for entry in report.failed:
        click.echo(f"error: {entry.source}: {entry.reason}", err=True)
    click.echo(report.summary())


def _comments(count: int) -> str:
    return f" ({count} comment{'s' if count != 1 else ''} imported)" if count else ""


@click.command("import")
@click.argument("sources", nargs=-1, required=True)
def import_articles(sources):
    """Import articles from SOURCES: plain-text files in the seed's shape, RSS 2.0 or Atom
    feeds (files or http(s) URLs), WordPress export (WXR) files, or directories of such
    files (*.txt, *.xml, *.rss, *.atom).

    Importing again updates what changed and skips the rest (articles are matched by their
    guid, then by their URL). A WordPress export brings the approved comments too, by
    unclaimed accounts that whoever verifies the same email address takes over. A bad source
    is reported after the good ones are imported and the exit status is then 1; everything
    is committed at once at the end, so an interrupted import leaves nothing behind.
    """
    loaded, report = load_sources(sources)
    total = sum(len(one.units) for one in loaded)
    with click.progressbar(length=total, label="Importing", file=sys.stderr, show_pos=True) as bar:
        for one in loaded:
            import_loaded(one, report, progress=lambda unit: bar.update(1))
    db.session.commit()
    _print_report(report)
    if report.failed:
        sys.exit(1)
