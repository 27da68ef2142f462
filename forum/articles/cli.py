"""``forum import``: articles from plain-text files in the seed's shape."""

from __future__ import annotations

import sys

import click

from forum.articles.services import collect_paths, import_paths
from forum.extensions import db


@click.command("import")
@click.argument("sources", nargs=-1, required=True)
def import_articles(sources):
    """Import articles from plain-text files (or directories of .txt files).

    Importing a file again updates its article. Bad files are reported, one line each, after
    the good ones are imported; the exit status is then 1.
    """
    paths = collect_paths(sources)
    with click.progressbar(
        length=len(paths), label="Importing", file=sys.stderr, show_pos=True
    ) as bar:
        report = import_paths(paths, progress=lambda path: bar.update(1))
    db.session.commit()
    for entry in report.failed:
        click.echo(f"error: {entry.source}: {entry.error}", err=True)
    click.echo(
        f"{len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.failed)} failed."
    )
    if report.failed:
        sys.exit(1)
