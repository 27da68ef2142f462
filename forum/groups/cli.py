"""Discussion groups: members, organisers, and (later) sessions with readings."""

from __future__ import annotations

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
