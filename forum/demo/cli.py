from __future__ import annotations

import click


@click.command("demo")
def demo():
    """Create the database and load the demo (idempotent)."""
