"""The demo: articles, a discussion group, people in every role and a lively discussion."""

from __future__ import annotations

import click
import flask_migrate
from flask.cli import with_appcontext

from forum.demo import services
from forum.extensions import db


@click.command("demo")
@with_appcontext
def demo():
    """Create the database and load the demo (idempotent)."""
    click.echo("Creating or upgrading the database…")
    flask_migrate.upgrade()
    report = services.load_demo(progress=lambda message: click.echo(f"  {message}"))
    db.session.commit()
    if report.users or report.articles or report.posts or report.memberships:
        click.echo(
            f"Loaded the demo: {len(report.users)} accounts, {len(report.articles)} articles, "
            f"{report.posts} comments."
        )
    else:
        click.echo("The demo was already loaded; nothing changed.")
    click.echo("")
    click.echo(f"Demo accounts (the group: {services.GROUP_NAME}):")
    width = max(len(account.email) for account in services.ACCOUNTS)
    for account in services.ACCOUNTS:
        click.echo(f"  {account.label:<16} {account.email:<{width}}  password: {account.password}")
    click.echo("Passwords are the demo's fixed ones; anyone can read them here, so never use the")
    click.echo("demo on a public server.")
