from __future__ import annotations

import click


@click.command("import")
@click.argument("sources", nargs=-1, required=True)
def import_articles(sources):
    """Import articles from plain-text files in the seed's shape."""
