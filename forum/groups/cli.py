"""Discussion groups at the command line: members, and the reminders of sessions."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from forum.accounts.queries import find_user_by_email
from forum.core.errors import ValidationFailed
from forum.extensions import db
from forum.groups import queries, services
from forum.groups.models import MemberRole

groups = AppGroup("groups", help="Manage discussion groups and their members.")


@groups.command("add-member")
@click.argument("slug")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice([role.value for role in MemberRole]),
    default=MemberRole.MEMBER.value,
    show_default=True,
    help="The member's role in the group.",
)
def add_member(slug: str, email: str, role: str) -> None:
    """Add the account with EMAIL to the group SLUG (or change its role there)."""
    group = queries.find_group_by_slug(slug)
    if group is None:
        raise click.ClickException(f"There is no group with the slug {slug!r}.")
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"There is no account with the email address {email!r}.")
    try:
        services.add_member(None, group, user, role)
    except ValidationFailed as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"{user.display_name} <{user.email}> is in {group.name} with the role {role}.")


@groups.command("send-reminders")
@click.option(
    "--now",
    type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z", "%Y-%m-%dT%H:%M:%S"]),
    default=None,
    help="The time to act at, ISO 8601 (default: now; a time without zone is UTC).",
)
def send_reminders(now: datetime | None) -> None:
    """Queue the day-before reminders for sessions starting in the next 24 hours (each person
    is reminded once per session, however often this runs); the worker sends them."""
    if now is not None and now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    queued = services.queue_reminders(now)
    db.session.commit()
    click.echo(f"{queued} reminder{'' if queued == 1 else 's'} queued.")
